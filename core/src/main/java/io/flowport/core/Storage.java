package io.flowport.core;

import java.util.Map;

/**
 * Where a flow's code is kept, so that a generic runner (in a container, a child process) can load it
 * (Prefect's storage interface). A storage holds several flows, each at a location; it is serialized to JSON with a {@code type}
 * (see {@link Serialization}) and passed to the runner.
 */
public interface Storage {

    /** A name for people and logs. */
    String name();

    /** The flows added so far: flow name to location. */
    Map<String, String> flows();

    /**
     * Records {@code flow} in this storage.
     *
     * @return the location to load it from
     * @throws ConfigurationException if another flow with the same name was added
     */
    String addFlow(Flow flow);

    /** Whether a flow with this name was added. */
    default boolean contains(String flowName) {
        return flows().containsKey(flowName);
    }

    /** Whether {@code flow} was added. */
    default boolean contains(Flow flow) {
        return contains(flow.name());
    }

    /**
     * Loads the flow at {@code location}. Blocking (may read files).
     *
     * @throws ConfigurationException if nothing is found there; the message lists what is available
     */
    Flow load(String location);

    /**
     * Makes the storage ready for runners elsewhere (copies code, builds an image, checks that every added
     * flow loads). Blocking.
     *
     * @return the storage to serialize and hand to runners (may be a new, more specific instance)
     * @throws ConfigurationException if a flow cannot be found
     */
    Storage build();
}
