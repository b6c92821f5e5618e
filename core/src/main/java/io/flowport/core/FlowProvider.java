package io.flowport.core;

import java.util.List;

/**
 * Makes flows findable by name. Implement it, give it a public no-argument constructor and list the class in
 * {@code META-INF/services/io.flowport.core.FlowProvider}; {@link ClasspathStorage} and the runner entry point
 * then find your flows by name. A provider class can also be named directly as a flow location.
 */
public interface FlowProvider {

    /** The flows this provider offers. Called each time flows are looked up; should be cheap. */
    List<Flow> flows();
}
