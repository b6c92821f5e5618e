package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flowport.core.internal.FlowLocator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flows whose classes are already on the runner's classpath (in the image, in the application). A location is
 * a flow name offered by a {@link FlowProvider} listed in {@code META-INF/services}, a class name, or
 * {@code class#flowName}. Serialized as {@code {"type":"classpath","flows":{...}}}.
 */
public final class ClasspathStorage implements Storage {

    private final Map<String, String> flows = Collections.synchronizedMap(new LinkedHashMap<>());

    /** An empty storage. */
    public ClasspathStorage() {
    }

    /** A storage that already holds these flows (name to location). */
    @JsonCreator
    public ClasspathStorage(@JsonProperty("flows") Map<String, String> flows) {
        if (flows != null) {
            this.flows.putAll(flows);
        }
    }

    @Override
    public String name() {
        return "classpath";
    }

    @Override
    @JsonProperty("flows")
    public Map<String, String> flows() {
        synchronized (flows) {
            return Map.copyOf(flows);
        }
    }

    @Override
    public String addFlow(Flow flow) {
        return addFlow(flow, flow.name());
    }

    /** Records {@code flow} at an explicit location (e.g. a provider class name). */
    public String addFlow(Flow flow, String location) {
        String previous = flows.putIfAbsent(flow.name(), location);
        if (previous != null && !previous.equals(location)) {
            throw new ConfigurationException("storage 'classpath' already holds a flow named '" + flow.name()
                    + "' at " + previous);
        }
        return location;
    }

    @Override
    public Flow load(String location) {
        return FlowLocator.load(location, loader(), "the classpath");
    }

    /** Checks that every added flow loads from the classpath. */
    @Override
    public Storage build() {
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
            throw new ConfigurationException("storage 'classpath'", problems);
        }
        return this;
    }

    private static ClassLoader loader() {
        ClassLoader tccl = Thread.currentThread().getContextClassLoader();
        return tccl != null ? tccl : ClasspathStorage.class.getClassLoader();
    }

    @Override
    public String toString() {
        return "ClasspathStorage" + flows();
    }
}
