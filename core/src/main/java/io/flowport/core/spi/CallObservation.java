package io.flowport.core.spi;

/**
 * One call of a provider's API (a {@link Backend} method), from just before it is made until it returns. Exactly one
 * of {@link #succeeded} and {@link #failed} is called, on the thread that made the call.
 */
public interface CallObservation {

    /** Observes nothing. */
    CallObservation NONE = new CallObservation() {
    };

    /** The call returned. */
    default void succeeded() {
    }

    /**
     * The call threw. A {@link io.flowport.core.TransientException} is retried by the lifecycle (when its deadline
     * allows); {@link io.flowport.core.TransientException#throttled()} tells whether the platform throttled it.
     */
    default void failed(Throwable error) {
    }
}
