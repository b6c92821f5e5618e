package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The flow index every storage keeps (flow name to location, serialized as {@code flows}) and the check that
 * every added flow loads. Storages extend it and supply {@link #load(String)} and {@link #build()}.
 */
public abstract class AbstractStorage implements Storage {

    private final Map<String, String> flows = Collections.synchronizedMap(new LinkedHashMap<>());

    /** A storage that already holds these flows (name to location); {@code null} for none. */
    protected AbstractStorage(Map<String, String> flows) {
        if (flows != null) {
            this.flows.putAll(flows);
        }
    }

    @Override
    @JsonProperty("flows")
    public Map<String, String> flows() {
        synchronized (flows) {
            return Map.copyOf(flows);
        }
    }

    /** Records {@code flow} at its name. */
    @Override
    public String addFlow(Flow flow) {
        return addFlow(flow, flow.name());
    }

    /**
     * Records {@code flow} at an explicit location (e.g. a provider class name).
     *
     * @throws ConfigurationException if another location already holds a flow of that name
     */
    public String addFlow(Flow flow, String location) {
        Objects.requireNonNull(flow, "flow");
        Objects.requireNonNull(location, "location");
        String previous = flows.putIfAbsent(flow.name(), location);
        if (previous != null && !previous.equals(location)) {
            throw new ConfigurationException(name() + " already holds a flow named '" + flow.name() + "' at "
                    + previous);
        }
        return location;
    }

    /**
     * Loads every added flow and throws one {@link ConfigurationException} listing those that do not load
     * or hold a flow of another name. Blocking.
     */
    protected final void checkFlowsLoad() {
        List<String> problems = new ArrayList<>();
        flows().forEach((name, location) -> {
            try {
                Flow f = load(location);
                if (!f.name().equals(name)) {
                    problems.add("location '" + location + "' holds flow '" + f.name() + "', not '" + name + "'");
                }
            } catch (ConfigurationException e) {
                problems.add(e.getMessage());
            }
        });
        if (!problems.isEmpty()) {
            throw new ConfigurationException("storage " + name(), problems);
        }
    }
}
