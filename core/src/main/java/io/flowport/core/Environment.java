package io.flowport.core;

import java.util.Map;
import java.util.Set;

/**
 * How and where a flow runs (Prefect's environment model): in this JVM, in a child process, as an ECS task, a
 * Kubernetes Job ... Environments are serialized to JSON (without secrets or callbacks) by
 * {@link Serialization} and rebuilt by the runner entry point inside the infrastructure they created.
 *
 * <p>Callback rules, the same for every environment:
 * <ul>
 *   <li>{@code onStart} runs in the calling process before anything is created; if it throws, the run ends
 *       {@code Failed} and nothing is created;</li>
 *   <li>{@code onExit} always runs in the calling process once the run has ended (success, failure,
 *       cancellation, crash, failed {@code onStart}); if it throws, the error is logged and recorded in
 *       {@link FlowRunResult#warnings()} and the state is unchanged;</li>
 *   <li>a {@link java.lang.Error} (out of memory, a linkage error) thrown by {@code onStart} or by the run itself
 *       is rethrown to the caller, after {@code onExit} has run;</li>
 *   <li>callbacks are never serialized, so they never run inside the remote infrastructure.</li>
 * </ul>
 */
public interface Environment {

    /** Labels that agents match to decide who runs flows with this environment. */
    Set<String> labels();

    /** Free-form metadata, serialized with the environment (e.g. {@code job_profile}, {@code cpu}). */
    Map<String, Object> metadata();

    /** The executor used when the flow runs in-process ({@link #run}). */
    Executor executor();

    /**
     * Makes the infrastructure definition exist (a task definition, a job template ...). Idempotent: calling it
     * again with an unchanged definition creates nothing. Blocking.
     *
     * @throws ConfigurationException if the settings are invalid (before any remote call)
     * @throws LaunchException        if the platform refuses the definition
     */
    void setup(Flow flow);

    /**
     * Runs the flow on this environment's infrastructure and follows it to a final state: {@code onStart},
     * {@link #setup} when needed, launch, follow, {@code onExit}. Blocking; cancel through
     * {@link FlowRun#cancellation()}.
     *
     * @return the result; failures of the run, the launch or the infrastructure are states, not exceptions
     * @throws ConfigurationException for invalid settings or parameters, before anything runs or is created
     */
    FlowRunResult execute(Flow flow, FlowRun run);

    /**
     * Runs the flow in the current process with {@link #executor()}; no callbacks, nothing created. This is
     * what the runner entry point calls inside a container. Blocking.
     */
    default FlowRunResult run(Flow flow, FlowRun run) {
        return executor().execute(flow, run);
    }
}
