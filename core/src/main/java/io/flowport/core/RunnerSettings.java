package io.flowport.core;

/**
 * The environment variables the runner entry point ({@link Runner}) reads. Remote environments set them on
 * the container; user values for other variables are kept, these always win.
 */
public final class RunnerSettings {

    /** The flow run's id. Optional: a random UUID when absent. */
    public static final String FLOW_RUN_ID = "FLOWPORT__FLOW_RUN_ID";
    /** The flow's location in the storage. Required. */
    public static final String FLOW_LOCATION = "FLOWPORT__FLOW_LOCATION";
    /** The storage as JSON ({@link Serialization}). Optional: classpath storage when absent. */
    public static final String STORAGE = "FLOWPORT__STORAGE";
    /** The environment as JSON. Optional: the flow runs with a parallel executor when absent. */
    public static final String ENVIRONMENT = "FLOWPORT__ENVIRONMENT";
    /** The run's parameters as a JSON object. Optional. */
    public static final String PARAMETERS = "FLOWPORT__PARAMETERS";

    /** The runner's main class, for container commands. */
    public static final String MAIN_CLASS = "io.flowport.core.Runner";

    /** The first field of the JSON line the runner prints at the end, so log readers can find it. */
    public static final String RESULT_EVENT = "flowport.result";

    /** Exit code of a successful run. */
    public static final int EXIT_SUCCESS = 0;
    /** Exit code of a run that ended in any other state. */
    public static final int EXIT_FAILED = 1;
    /** Exit code for bad input (a missing or malformed variable, an unknown flow). */
    public static final int EXIT_BAD_INPUT = 2;

    private RunnerSettings() {
    }
}
