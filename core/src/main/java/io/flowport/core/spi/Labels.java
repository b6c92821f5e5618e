package io.flowport.core.spi;

import java.util.LinkedHashMap;
import java.util.Map;

/** The labels (tags) every backend puts on what it creates, so runs can be found and cleaned up by label. */
public final class Labels {

    /** Marks infrastructure created by Flowport. Value {@code flowport}. */
    public static final String MANAGED_BY = "flowport.io/managed-by";
    /** The flow run's id. */
    public static final String FLOW_RUN_ID = "flowport.io/flow-run-id";
    /** The flow's name, made safe for label values. */
    public static final String FLOW_NAME = "flowport.io/flow-name";

    private Labels() {
    }

    /** The labels of one run. */
    public static Map<String, String> forRun(String flowRunId, String flowName) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MANAGED_BY, "flowport");
        m.put(FLOW_RUN_ID, safeValue(flowRunId));
        m.put(FLOW_NAME, safeValue(flowName));
        return m;
    }

    /** The labels that select everything Flowport created. */
    public static Map<String, String> managed() {
        return Map.of(MANAGED_BY, "flowport");
    }

    /**
     * A value valid as a Kubernetes label value (and an ECS tag value): at most 63 characters of
     * {@code [A-Za-z0-9._-]}, starting and ending with an alphanumeric character.
     */
    public static String safeValue(String raw) {
        return Names.sanitize(raw, Names.LABEL_VALUE);
    }
}
