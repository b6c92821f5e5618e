package io.flowport.core;

import java.util.Map;

/** What a running task can see: its run, its parameters and the results of its upstream tasks. */
public interface TaskContext {

    /** The id of the flow run. */
    String flowRunId();

    /** The flow's name. */
    String flowName();

    /** This task's name. */
    String taskName();

    /** The current attempt, starting at 1. */
    int attempt();

    /** All resolved parameters of the run (defaults applied). */
    Map<String, Object> parameters();

    /**
     * One parameter's value, converted to {@code type}.
     *
     * @throws ConfigurationException if the flow has no such parameter
     */
    <T> T parameter(String name, Class<T> type);

    /**
     * The result of a direct upstream task.
     *
     * @throws ConfigurationException if {@code task} is not a direct upstream of this task
     */
    Object upstream(String task);

    /** The result of a direct upstream task, cast to {@code type}. */
    default <T> T upstream(String task, Class<T> type) {
        return type.cast(upstream(task));
    }

    /** The results of all direct upstream tasks, by task name, in declaration order. */
    Map<String, Object> upstreamResults();

    /** Whether the run was cancelled; long loops should check it. */
    boolean isCancelled();
}
