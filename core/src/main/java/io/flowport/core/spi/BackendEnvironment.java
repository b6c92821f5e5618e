package io.flowport.core.spi;

import io.flowport.core.AbstractEnvironment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunnerSettings;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An environment that runs flows on a {@link Backend} through the shared {@link BackendLifecycle}. Provider
 * modules extend it and supply the backend (built from their settings, never serialized) and the user's
 * container command and environment; everything else — callbacks, validation, setup once, idempotent launch,
 * following, cancellation, logs — is here.
 */
public abstract class BackendEnvironment extends AbstractEnvironment implements AutoCloseable {

    private volatile BackendLifecycle lifecycle;
    private volatile String json;

    /** Copies the common settings. */
    protected BackendEnvironment(Builder<?> b) {
        super(b);
    }

    /** Creates the backend from this environment's settings. Called once, on first use. */
    protected abstract Backend createBackend();

    /** The lifecycle tuning (default: {@link BackendLifecycle.Settings#defaults()}). */
    protected BackendLifecycle.Settings lifecycleSettings() {
        return BackendLifecycle.Settings.defaults();
    }

    /**
     * The first container's command: the flow's own command for a command flow, else the command that starts
     * the runner entry point ({@link #runnerCommand()}).
     */
    protected List<String> containerCommand(Flow flow) {
        return flow.commandSpec().map(c -> c.command()).orElseGet(this::runnerCommand);
    }

    /** The command that starts the runner in this environment's image (default: Jib's layout). */
    protected List<String> runnerCommand() {
        return RunnerSettings.DEFAULT_CONTAINER_COMMAND;
    }

    /** The lifecycle, created on first use. For subclasses; users call the methods below. */
    protected final BackendLifecycle lifecycle() {
        BackendLifecycle l = lifecycle;
        if (l == null) {
            synchronized (this) {
                l = lifecycle;
                if (l == null) {
                    l = new BackendLifecycle(createBackend(), lifecycleSettings());
                    lifecycle = l;
                }
            }
        }
        return l;
    }

    /** Validates, then makes the definition exist (once per flow for this environment object). */
    @Override
    public void setup(Flow flow) {
        checkValid(flow);
        lifecycle().prepare(flow);
    }

    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        return lifecycle().execute(flow, run, launchRequest(flow, run));
    }

    /**
     * Launches a run and returns at once, without callbacks: for agents and applications that start many runs.
     * Validation and parameter checks still happen first.
     *
     * @throws io.flowport.core.ConfigurationException for invalid settings or parameters
     */
    public CompletableFuture<FlowRunResult> submit(Flow flow, FlowRun run) {
        checkValid(flow);
        flow.resolveParameters(run.parameters());
        return lifecycle().submit(flow, run, launchRequest(flow, run));
    }

    /**
     * Launches the runner entry point on this environment's infrastructure, where it runs the flow with
     * {@code inside} ({@link io.flowport.core.Environment#run}) instead of with this environment — e.g. the driver
     * of a Dask cluster, started in the cluster's private network by the environment that creates the cluster.
     * Returns at once; no callbacks. The runner's command is used even for a command flow.
     *
     * @throws io.flowport.core.ConfigurationException for invalid settings or parameters
     */
    public CompletableFuture<FlowRunResult> submitRunner(Flow flow, FlowRun run, io.flowport.core.Environment inside) {
        checkValid(flow);
        flow.resolveParameters(run.parameters());
        java.util.Objects.requireNonNull(inside, "inside");
        LaunchRequest r = new LaunchRequest(run.id(), flow.name(), runnerCommand(),
                RunnerSettings.mergeEnvironment(java.util.Map.of(), flow,
                        RunnerSettings.variables(flow, run, io.flowport.core.Serialization.toJson(inside))),
                Labels.forRun(run.id(), flow.name()), run.id());
        return lifecycle().submit(flow, run, r);
    }

    /**
     * Follows a run that may have been launched before (by this process before a restart, or by an agent that
     * stopped) and returns at once: its unit is looked up by the run's label; a running unit is followed, a
     * finished one gives its final state, and a run with no unit is launched with the same idempotency token as
     * its first launch, so it is never launched twice. No callbacks run.
     *
     * @throws io.flowport.core.ConfigurationException for invalid settings or parameters
     */
    public CompletableFuture<FlowRunResult> resume(Flow flow, FlowRun run) {
        checkValid(flow);
        flow.resolveParameters(run.parameters());
        return lifecycle().resume(flow, run, launchRequest(flow, run));
    }

    /**
     * Deletes finished units that Flowport created on this environment's platform and that finished more than
     * {@code ttl} ago (the TTL controller of the agent–environment model); running units are never touched.
     * Does nothing on platforms whose finished units vanish by themselves ({@link Backend#supportsDelete()}).
     * Blocking.
     *
     * @return the units deleted
     */
    public List<Launch> deleteFinished(java.time.Duration ttl, java.time.Clock clock) {
        return BackendCleaner.deleteFinished(lifecycle().backend(), Labels.managed(), ttl, clock);
    }

    /**
     * Stops every unit of this environment's platform that carries all of {@code labels} and has not finished —
     * e.g. the processes of one Dask cluster, also those left by a driver that died. Blocking.
     *
     * @return the units a stop was sent to
     */
    public List<Launch> stopUnfinished(java.util.Map<String, String> labels, String reason) {
        Backend backend = lifecycle().backend();
        List<Launch> stopped = new java.util.ArrayList<>();
        for (Backend.Found f : backend.find(labels)) {
            if (!f.status().isFinished()) {
                backend.stop(f.launch(), reason);
                stopped.add(f.launch());
            }
        }
        return stopped;
    }

    /** The platform-independent description of what to start for {@code run}. */
    protected LaunchRequest launchRequest(Flow flow, FlowRun run) {
        return new LaunchRequest(run.id(), flow.name(), containerCommand(flow),
                RunnerSettings.mergeEnvironment(java.util.Map.of(), flow,
                        RunnerSettings.variables(flow, run, serialized())),
                Labels.forRun(run.id(), flow.name()), run.id());
    }

    /** This environment as JSON, serialized once: the settings are immutable and every run carries it. */
    private String serialized() {
        String j = json;
        if (j == null) {
            j = io.flowport.core.Serialization.toJson(this);
            json = j;
        }
        return j;
    }

    /**
     * Stops following runs and releases the backend's clients. Every run in flight ends at once, so no caller of
     * {@link #execute} or {@link #submit} waits forever: see {@link BackendLifecycle#close()} (by default their
     * units keep running, carry their labels, and can be resumed with {@link #resume}).
     */
    @Override
    public void close() {
        BackendLifecycle l = lifecycle;
        if (l != null) {
            l.close();
            if (l.backend() instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new io.flowport.core.FlowportException("closing backend " + l.backend().name()
                            + " failed: " + e.getMessage(), e);
                }
            }
        }
    }
}
