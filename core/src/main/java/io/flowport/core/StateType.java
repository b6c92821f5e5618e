package io.flowport.core;

/** The kinds of state a task or a flow run can be in. */
public enum StateType {
    /** Not started yet. */
    PENDING("Pending", false),
    /** Running now. */
    RUNNING("Running", false),
    /** An attempt failed and another one will follow after the retry delay. */
    RETRYING("Retrying", false),
    /** Finished without error. */
    SUCCESS("Success", true),
    /** Finished with an error (an exception, a non-zero exit code). */
    FAILED("Failed", true),
    /** Not run because an upstream task did not succeed. */
    SKIPPED("Skipped", true),
    /** Stopped, or never started, because the run was cancelled. */
    CANCELLED("Cancelled", true),
    /** Stopped because it ran longer than its timeout. */
    TIMED_OUT("TimedOut", true),
    /** The infrastructure under the run failed (the process or container died, never started, vanished). */
    CRASHED("Crashed", true);

    private final String displayName;
    private final boolean terminal;

    StateType(String displayName, boolean terminal) {
        this.displayName = displayName;
        this.terminal = terminal;
    }

    /** The name shown to users and written to JSON, e.g. {@code TimedOut}. */
    public String displayName() {
        return displayName;
    }

    /** Whether this state is final. */
    public boolean isTerminal() {
        return terminal;
    }

    /** Parses a display name or an enum constant name, ignoring case. */
    public static StateType parse(String name) {
        for (StateType t : values()) {
            if (t.displayName.equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown state '" + name + "'");
    }

    @Override
    public String toString() {
        return displayName;
    }
}
