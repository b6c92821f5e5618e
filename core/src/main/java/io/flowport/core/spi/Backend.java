package io.flowport.core.spi;

import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.flowport.core.RunLogs;
import io.flowport.core.TransientException;

import java.util.List;
import java.util.Map;

/**
 * A platform that runs flow runs as units of infrastructure (an ECS task, a Kubernetes Job, a child process):
 * the provider-specific half of the shared lifecycle. The provider-independent half — idempotent launch with
 * retries under a deadline, following many runs (batched polls or watches), start timeouts, cancellation,
 * mapping to states, logs — is {@link BackendLifecycle}; cleanup by label is {@link BackendCleaner}.
 *
 * <p>Implementations are thread-safe: many runs use one backend at once. Every method may block on the
 * network. Throw {@link TransientException} for throttling and 5xx answers (the lifecycle retries) and
 * {@link LaunchException} for refusals that retrying will not fix.
 */
public interface Backend {

    /** A short name for logs and messages, e.g. {@code ecs}. */
    String name();

    /**
     * Makes the infrastructure definition for {@code flow} exist: compares the wanted definition with what the
     * platform has and reuses it when equal, creates a new one when not. Idempotent.
     */
    Definition prepare(Flow flow);

    /**
     * Starts one run. Idempotent per {@link LaunchRequest#idempotencyToken()}: calling it again with the same
     * token after a lost answer must not start a second unit, but return the first one.
     */
    Launch launch(Definition definition, LaunchRequest request);

    /** How this backend reports status: by batched polling or by watching. */
    Observation observation();

    /** Stops a run. Idempotent; stopping a finished or unknown run does nothing. */
    void stop(Launch launch, String reason);

    /** The run's logs (may fetch lazily; for a live run, the lines so far). */
    RunLogs logs(Launch launch);

    /** Every unit carrying all of these labels, running or finished, with its current status. */
    List<Found> find(Map<String, String> labels);

    /**
     * Whether finished units leave something to delete (a Job, a container group). Platforms that remove finished
     * units by themselves (ECS forgets stopped tasks after about an hour) answer {@code false}; then
     * {@link #delete} is never called and {@link Found#deletable()} is false.
     */
    default boolean supportsDelete() {
        return true;
    }

    /**
     * Deletes a finished unit and what was created for it alone. Idempotent: deleting an absent unit does nothing.
     * Only called when {@link #supportsDelete()} is true.
     *
     * @throws UnsupportedOperationException if this backend has nothing to delete (the default)
     */
    default void delete(Launch launch) {
        throw new UnsupportedOperationException(name() + " has nothing to delete: its finished units vanish by"
                + " themselves");
    }

    /**
     * A launched unit found by {@link #find}.
     *
     * @param launch     the unit
     * @param status     its current status
     * @param finishedAt when it finished, or {@code null} if it has not (or the platform does not say)
     * @param deletable  whether {@link #delete} would remove something (false where the platform removes
     *                   finished units by itself)
     */
    record Found(Launch launch, RunStatus status, java.time.Instant finishedAt, boolean deletable) {

        /** Validates the unit found. */
        public Found {
            java.util.Objects.requireNonNull(launch, "launch");
            java.util.Objects.requireNonNull(status, "status");
        }

        /** A unit that {@link #delete} can remove. */
        public Found(Launch launch, RunStatus status, java.time.Instant finishedAt) {
            this(launch, status, finishedAt, true);
        }
    }
}
