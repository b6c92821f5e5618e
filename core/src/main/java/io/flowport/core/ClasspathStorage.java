package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flowport.core.internal.FlowLocator;

import java.util.Map;

/**
 * Flows whose classes are already on the runner's classpath (in the image, in the application). A location is
 * a flow name offered by a {@link FlowProvider} listed in {@code META-INF/services}, a class name, or
 * {@code class#flowName}. Serialized as {@code {"type":"classpath","flows":{...}}}.
 */
public final class ClasspathStorage extends AbstractStorage {

    /** An empty storage. */
    public ClasspathStorage() {
        super(null);
    }

    /** A storage that already holds these flows (name to location). */
    @JsonCreator
    public ClasspathStorage(@JsonProperty("flows") Map<String, String> flows) {
        super(flows);
    }

    @Override
    public String name() {
        return "classpath";
    }

    @Override
    public Flow load(String location) {
        return FlowLocator.load(location, loader(), "the classpath");
    }

    /** Checks that every added flow loads from the classpath. */
    @Override
    public Storage build() {
        checkFlowsLoad();
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
