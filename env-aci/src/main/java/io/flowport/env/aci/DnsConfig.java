package io.flowport.env.aci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * DNS settings of the container group ({@code properties.dnsConfig}), typically for groups in a virtual network
 * that must resolve private names.
 *
 * @param nameServers   DNS server IP addresses (at least one)
 * @param searchDomains search domains, space-separated, or null
 * @param options       resolver options (e.g. {@code ndots:2}), or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DnsConfig(List<String> nameServers, String searchDomains, String options) {

    /** Copies the name servers. */
    @JsonCreator
    public DnsConfig(@JsonProperty("nameServers") List<String> nameServers,
                     @JsonProperty("searchDomains") String searchDomains,
                     @JsonProperty("options") String options) {
        this.nameServers = nameServers == null ? List.of()
                : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(nameServers));
        this.searchDomains = searchDomains;
        this.options = options;
    }

    /** Name servers only. */
    public static DnsConfig of(String... nameServers) {
        return new DnsConfig(List.of(nameServers), null, null);
    }
}
