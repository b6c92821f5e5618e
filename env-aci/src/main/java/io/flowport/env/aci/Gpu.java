package io.flowport.env.aci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * GPUs for the flow's container. ACI offers GPUs to Linux container groups outside virtual networks, in the
 * locations whose capabilities list them; the environment checks the location's capabilities before creating
 * anything.
 *
 * @param count 1, 2 or 4
 * @param sku   the GPU model: {@code V100} (ACI retired {@code K80} and {@code P100} in 2023)
 */
public record Gpu(int count, String sku) {

    @JsonCreator
    public Gpu(@JsonProperty("count") int count, @JsonProperty("sku") String sku) {
        this.count = count;
        this.sku = sku;
    }

    /** {@code count} GPUs of model {@code sku}. */
    public static Gpu of(int count, String sku) {
        return new Gpu(count, sku);
    }
}
