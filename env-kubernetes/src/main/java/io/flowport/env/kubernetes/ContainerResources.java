package io.flowport.env.kubernetes;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resource requests and limits of the flow's container, as Kubernetes quantities by resource name, e.g.
 * {@code requests = {cpu: 500m, memory: 512Mi}}, {@code limits = {memory: 1Gi}}. They are merged into the first
 * container of the Job spec, replacing the spec's values for the same resource. Checked by
 * {@link #problems(String)}, not on construction, so that every problem is reported at once.
 *
 * @param requests what the scheduler reserves for the container
 * @param limits   what the container may use at most
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ContainerResources(Map<String, String> requests, Map<String, String> limits) {

    /** No requests, no limits. */
    public static final ContainerResources NONE = new ContainerResources(Map.of(), Map.of());

    /** Copies the maps, keeping their order. */
    @JsonCreator
    public ContainerResources(@JsonProperty("requests") Map<String, String> requests,
                              @JsonProperty("limits") Map<String, String> limits) {
        this.requests = requests == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(requests));
        this.limits = limits == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(limits));
    }

    /** A copy with one more request. */
    public ContainerResources withRequest(String resource, String quantity) {
        Map<String, String> r = new LinkedHashMap<>(requests);
        r.put(resource, quantity);
        return new ContainerResources(r, limits);
    }

    /** A copy with one more limit. */
    public ContainerResources withLimit(String resource, String quantity) {
        Map<String, String> l = new LinkedHashMap<>(limits);
        l.put(resource, quantity);
        return new ContainerResources(requests, l);
    }

    /** Whether neither requests nor limits are set. */
    @JsonIgnore
    public boolean isEmpty() {
        return requests.isEmpty() && limits.isEmpty();
    }

    /**
     * Every problem with these resources, each naming {@code field}: invalid resource names, quantities that do
     * not parse, and requests above their limit (which Kubernetes rejects).
     */
    public List<String> problems(String field) {
        List<String> problems = new ArrayList<>();
        check(field + ".requests", requests, problems);
        check(field + ".limits", limits, problems);
        for (Map.Entry<String, String> r : requests.entrySet()) {
            String limit = limits.get(r.getKey());
            if (limit != null && KubernetesNames.quantity("", r.getValue()) == null
                    && KubernetesNames.quantity("", limit) == null) {
                BigDecimal req = KubernetesNames.amount(r.getValue());
                BigDecimal lim = KubernetesNames.amount(limit);
                if (req.compareTo(lim) > 0) {
                    problems.add(field + ": the " + r.getKey() + " request " + r.getValue() + " is above its limit "
                            + limit + "; Kubernetes rejects this, lower the request or raise the limit");
                }
            }
        }
        return problems;
    }

    private static void check(String field, Map<String, String> values, List<String> problems) {
        for (Map.Entry<String, String> e : values.entrySet()) {
            String nameProblem = KubernetesNames.resourceName(field, e.getKey());
            if (nameProblem != null) {
                problems.add(nameProblem);
            }
            String quantityProblem = KubernetesNames.quantity(field + "." + e.getKey(), e.getValue());
            if (quantityProblem != null) {
                problems.add(quantityProblem);
            }
        }
    }
}
