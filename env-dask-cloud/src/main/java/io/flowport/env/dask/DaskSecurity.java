package io.flowport.env.dask;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a Dask cluster is protected. The default is the safe one: TLS between every part with certificates from a
 * CA made for the cluster alone (a client without the cluster's certificate is refused, plain {@code tcp://} is
 * refused), and private addresses only. Turning either off is logged as a warning at every cluster start.
 *
 * @param tls      TLS with client certificates between scheduler, workers and client (default true)
 * @param publicIp give the cluster's processes public addresses (default false; ECS {@code assignPublicIp})
 */
public record DaskSecurity(boolean tls, boolean publicIp) {

    /** TLS on, private addresses only. */
    public static final DaskSecurity DEFAULT = new DaskSecurity(true, false);

    /** Reads the settings; absent fields take the safe default. */
    @JsonCreator
    public static DaskSecurity of(@JsonProperty("tls") Boolean tls, @JsonProperty("publicIp") Boolean publicIp) {
        return new DaskSecurity(tls == null || tls, publicIp != null && publicIp);
    }

    /** The TLS setting. */
    @Override
    @JsonProperty("tls")
    public boolean tls() {
        return tls;
    }

    /** The public-address setting. */
    @Override
    @JsonProperty("publicIp")
    public boolean publicIp() {
        return publicIp;
    }
}
