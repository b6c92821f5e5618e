package io.flowport.core.spi;

import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;

import java.util.Map;

/**
 * What observes one flow run for an {@link Instrumentation}: its tasks and phases (through a
 * {@link FlowRunListener}), the provider calls made for it, the trace context it hands to its runner, and its end.
 * Thread-safe.
 */
public interface RunObservation {

    /** Observes nothing. */
    RunObservation NONE = new RunObservation() {
    };

    /**
     * Receives the run's task events (in-process tasks) and infrastructure phases; put on the run next to the
     * user's listener. Its {@code runStarted}/{@code runFinished} are called too but carry nothing new: the
     * observation's start and {@link #finished} frame the run.
     */
    default FlowRunListener listener() {
        return FlowRunListener.NONE;
    }

    /**
     * A call of the provider's API for this run is about to be made.
     *
     * @param backend   the backend's {@link Backend#name() name}
     * @param operation the {@link Backend} method: {@code launch}, {@code stop}, {@code logs}, {@code find},
     *                  {@code watch}
     */
    default CallObservation call(String backend, String operation) {
        return CallObservation.NONE;
    }

    /**
     * The W3C trace context the run's runner continues, as header names and values ({@code traceparent},
     * {@code tracestate}); carried into the unit as {@code FLOWPORT__TRACEPARENT} and {@code FLOWPORT__TRACESTATE}.
     * Empty when the run is not traced.
     */
    default Map<String, String> traceContext() {
        return Map.of();
    }

    /** The run ended with {@code result}. Called once. */
    default void finished(FlowRunResult result) {
    }
}
