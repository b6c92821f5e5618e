package io.flowport.env.fargate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One entry of a RunTask capacity provider strategy (e.g. {@code FARGATE_SPOT} with weight 3). When a strategy
 * is given, RunTask is sent without a launch type, as ECS requires.
 *
 * @param capacityProvider the capacity provider's name
 * @param weight           relative share, 0 to 1000 ({@code null}: ECS's default)
 * @param base             tasks to place on this provider first, 0 to 100000 ({@code null}: 0)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CapacityProviderStrategyItem(String capacityProvider, Integer weight, Integer base) {

    @JsonCreator
    public CapacityProviderStrategyItem(@JsonProperty("capacityProvider") String capacityProvider,
                                        @JsonProperty("weight") Integer weight,
                                        @JsonProperty("base") Integer base) {
        this.capacityProvider = capacityProvider;
        this.weight = weight;
        this.base = base;
    }

    /** A provider with a weight and no base. */
    public static CapacityProviderStrategyItem of(String capacityProvider, int weight) {
        return new CapacityProviderStrategyItem(capacityProvider, weight, null);
    }
}
