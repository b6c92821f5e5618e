package io.flowport.agent.internal;

import io.flowport.core.AbstractEnvironment;
import io.flowport.core.Environment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.RunnerSettings;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendEnvironment;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.env.local.LocalProcessEnvironment;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How an agent runs a {@code local-process} environment: the same child process, with the same command line,
 * variables and checks as {@link LocalProcessEnvironment} (which this asks for them), but started through
 * {@link ProcessBackend} so that it outlives the agent and the next agent reattaches to it by its labels. The
 * runner in the child gets the run's environment document. Not public API.
 */
public final class DetachedProcessEnvironment extends BackendEnvironment {

    /** The type of the documents this replaces. */
    public static final String TYPE = "local-process";

    private final LocalProcessEnvironment source;
    private final String json;
    private final Path root;

    private DetachedProcessEnvironment(Builder b, LocalProcessEnvironment source, String json, Path root) {
        super(b);
        this.source = source;
        this.json = json;
        this.root = root;
    }

    /**
     * The detached form of a {@code local-process} environment read from {@code json} (its document); units live
     * under {@code root}. Only called for that type, so env-local is on the class path.
     *
     * @throws IllegalArgumentException if {@code environment} is not a {@link LocalProcessEnvironment}
     */
    public static DetachedProcessEnvironment of(Environment environment, String json, Path root) {
        if (!(environment instanceof LocalProcessEnvironment source)) {
            throw new IllegalArgumentException("a " + TYPE + " document must read back as a "
                    + LocalProcessEnvironment.class.getSimpleName() + ", got " + environment.getClass().getName());
        }
        Builder b = new Builder().labels(source.labels()).metadata(source.metadata());
        return new DetachedProcessEnvironment(b, source, json, root);
    }

    /** Its runs are {@code local-process} runs in metrics, traces and messages. */
    @Override
    public String type() {
        return TYPE;
    }

    @Override
    protected Backend createBackend() {
        return new ProcessBackend(root, source.workingDirectory());
    }

    @Override
    protected BackendLifecycle.Settings lifecycleSettings() {
        // a local process starts at once and its status costs a few file reads: follow it closely
        return BackendLifecycle.Settings.builder().pollIntervals(Duration.ofMillis(200), Duration.ofSeconds(2))
                .threads(4).build();
    }

    @Override
    protected List<String> validate(Flow flow) {
        return source.problems(flow);
    }

    @Override
    protected LaunchRequest launchRequest(Flow flow, FlowRun run) {
        return new LaunchRequest(run.id(), flow.name(), source.childCommand(flow, run),
                source.childEnvironment(flow, RunnerSettings.variables(flow, run, json)),
                Labels.forRun(run.id(), flow.name()), run.id());
    }

    @Override
    public String toString() {
        return "DetachedProcessEnvironment[" + root + ", labels=" + labels() + "]";
    }

    /** Builder of the common settings. */
    private static final class Builder extends AbstractEnvironment.Builder<Builder> {
    }
}
