package io.flowport.agent;

import io.flowport.core.RunPhase;
import io.flowport.core.StateType;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Where a queued flow run is: waiting in the queue, held by an agent (claimed, then the phases of its
 * infrastructure), or finished in one of the final states of {@link StateType}.
 */
public enum RunState {
    /** Waiting to be claimed (possibly until its {@code notBefore}). */
    QUEUED,
    /** An agent took it and is deploying it. */
    CLAIMED,
    /** Its unit of infrastructure was launched (or, for an in-process run, its execution started). */
    LAUNCHED,
    /** The platform is finding resources for it. */
    PROVISIONING,
    /** Resources were found; it has not started running. */
    PENDING,
    /** It runs. */
    RUNNING,
    /** It is being stopped. */
    STOPPING,
    /** Final: it succeeded. */
    SUCCESS,
    /** Final: it failed (including a launch the platform refused). */
    FAILED,
    /** Final: it was cancelled (before or after it started). */
    CANCELLED,
    /** Final: it ran longer than its timeout. */
    TIMED_OUT,
    /** Final: its infrastructure failed, vanished, or could not be followed. */
    CRASHED;

    /** The states of runs held by an agent. */
    public static final Set<RunState> HELD = EnumSet.of(CLAIMED, LAUNCHED, PROVISIONING, PENDING, RUNNING, STOPPING);
    /** The final states. */
    public static final Set<RunState> FINAL = EnumSet.of(SUCCESS, FAILED, CANCELLED, TIMED_OUT, CRASHED);

    /** Whether the run is over. */
    public boolean isFinal() {
        return FINAL.contains(this);
    }

    /** Whether an agent holds the run (with a lease). */
    public boolean isHeld() {
        return HELD.contains(this);
    }

    /** The queue state of a run that ended in {@code type}; a state that is not final is {@link #CRASHED}. */
    public static RunState of(StateType type) {
        return switch (type) {
            case SUCCESS -> SUCCESS;
            case FAILED -> FAILED;
            case CANCELLED -> CANCELLED;
            case TIMED_OUT -> TIMED_OUT;
            default -> CRASHED; // a run ending Pending, Running or Skipped is not a real outcome
        };
    }

    /** The queue state for an infrastructure phase, or {@code null} for phases not recorded (prepared, finished). */
    public static RunState of(RunPhase phase) {
        return switch (phase) {
            case LAUNCHED -> LAUNCHED;
            case PROVISIONING -> PROVISIONING;
            case PENDING -> PENDING;
            case RUNNING -> RUNNING;
            case STOPPING -> STOPPING;
            case PREPARED, FINISHED -> null;
        };
    }

    /**
     * Parses a state name, ignoring case, {@code -} and {@code _} (so {@code timed-out}, {@code TimedOut} and
     * {@code TIMED_OUT} all work).
     *
     * @throws IllegalArgumentException naming the known states
     */
    public static RunState parse(String name) {
        String wanted = name.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
        for (RunState s : values()) {
            if (s.name().replace("_", "").toLowerCase(Locale.ROOT).equals(wanted)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown run state '" + name + "'; known states: "
                + java.util.Arrays.toString(values()));
    }
}
