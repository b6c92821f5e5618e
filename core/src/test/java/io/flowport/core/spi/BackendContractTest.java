package io.flowport.core.spi;

import io.flowport.core.CancellationToken;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The lifecycle every {@link Backend} owes its users, stated once. A provider module extends this class and
 * supplies a backend wired to its test platform, plus the few things only the platform can do (start a unit,
 * make it exit with a code). Every test records what it launched, and {@link #nothingLeftBehind()} checks that
 * nothing is left running after it.
 */
public abstract class BackendContractTest {

    /** Labels of everything the kit launches, to find and clean up. */
    protected static final Map<String, String> MANAGED = Labels.managed();

    protected Backend backend;
    protected BackendLifecycle lifecycle;
    private final List<String> runIds = new ArrayList<>();

    /** A backend talking to the test platform. Called before each test. */
    protected abstract Backend createBackend();

    /** Moves a launched unit from pending to running, as the platform would once resources are found. */
    protected abstract void start(Launch launch);

    /** Makes a running unit exit with {@code exitCode}, as its container would. */
    protected abstract void exit(Launch launch, int exitCode);

    /** Makes a pending unit fail to start (image pull error, no capacity), as the platform would. */
    protected abstract void failToStart(Launch launch, String reason);

    /** Lifecycle tuning for tests: fast polls, short timeouts. */
    protected BackendLifecycle.Settings settings() {
        return BackendLifecycle.Settings.defaults()
                .withPollIntervals(Duration.ofMillis(20), Duration.ofMillis(200))
                .withStartTimeout(Duration.ofSeconds(30))
                .withStopTimeout(Duration.ofSeconds(10))
                .withLaunchRetries(Duration.ofSeconds(10), new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)));
    }

    /** The flow the kit runs; a command flow so that images need no JVM. */
    protected Flow flow() {
        return Flow.command("contract", io.flowport.core.CommandSpec.of("sh", "-c", "echo hello"));
    }

    @BeforeEach
    void createLifecycle() {
        backend = createBackend();
        lifecycle = new BackendLifecycle(backend, settings());
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        try {
            for (Backend.Found f : backend.find(MANAGED)) {
                if (runIds.contains(f.launch().flowRunId())) {
                    assertThat(f.status().isFinished())
                            .as("unit %s of run %s is still %s after the test", f.launch().id(),
                                    f.launch().flowRunId(), f.status().phase())
                            .isTrue();
                    if (backend.supportsDelete()) {
                        backend.delete(f.launch());
                    }
                }
            }
        } finally {
            lifecycle.close();
            if (backend instanceof AutoCloseable c) {
                c.close();
            }
        }
    }

    /** Submits a run of {@link #flow()} and waits until its unit is launched. */
    protected Submitted submit(FlowRun run) {
        Flow flow = flow();
        runIds.add(run.id());
        LaunchRequest request = new LaunchRequest(run.id(), flow.name(), flow.commandSpec().orElseThrow().command(),
                Map.of("FLOWPORT__FLOW_RUN_ID", run.id()), Labels.forRun(run.id(), flow.name()), run.id());
        CompletableFuture<FlowRunResult> future = lifecycle.submit(flow, run, request);
        Launch launch = await().atMost(30, TimeUnit.SECONDS).until(() -> launchOf(run.id()), l -> l != null);
        return new Submitted(launch, future);
    }

    /** The unit launched for a run, found by its labels, or null. */
    protected Launch launchOf(String runId) {
        List<Backend.Found> found = backend.find(Map.of(Labels.FLOW_RUN_ID, Labels.safeValue(runId)));
        return found.isEmpty() ? null : found.get(0).launch();
    }

    /** A submitted run: its unit and its result to come. */
    protected record Submitted(Launch launch, CompletableFuture<FlowRunResult> result) {
        FlowRunResult await() throws Exception {
            return result.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRunThatExitsWithZeroSucceeds() throws Exception {
        Submitted s = submit(FlowRun.create());
        start(s.launch());
        exit(s.launch(), 0);
        FlowRunResult r = s.await();
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs()).isNotNull();
    }

    @Test
    void aRunThatExitsNonZeroFailsWithTheExitCode() throws Exception {
        Submitted s = submit(FlowRun.create());
        start(s.launch());
        exit(s.launch(), 3);
        FlowRunResult r = s.await();
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("3");
    }

    @Test
    void aRunThatFailsToStartCrashes() throws Exception {
        Submitted s = submit(FlowRun.create());
        failToStart(s.launch(), "CannotPullContainerError: image not found");
        FlowRunResult r = s.await();
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("image not found");
    }

    @Test
    void aRunStuckBeforeStartingCrashesAndIsStopped() throws Exception {
        lifecycle.close();
        lifecycle = new BackendLifecycle(backend, settings().withStartTimeout(Duration.ofMillis(500)));
        Submitted s = submit(FlowRun.create());
        FlowRunResult r = s.await();
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("did not start within PT0.5S");
        await().atMost(10, TimeUnit.SECONDS).until(() -> statusOf(s.launch()).isFinished());
    }

    @Test
    void cancellingARunningRunStopsItsUnit() throws Exception {
        CancellationToken token = new CancellationToken();
        Submitted s = submit(FlowRun.builder().cancellation(token).build());
        start(s.launch());
        token.cancel("user asked");
        FlowRunResult r = s.await();
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(r.state().message()).contains("user asked");
        await().atMost(10, TimeUnit.SECONDS).until(() -> statusOf(s.launch()).isFinished());
        backend.stop(s.launch(), "again"); // idempotent
    }

    @Test
    void aRepeatedLaunchWithTheSameTokenStartsNothingNew() {
        Flow flow = flow();
        String runId = java.util.UUID.randomUUID().toString();
        runIds.add(runId);
        Definition d = backend.prepare(flow);
        LaunchRequest request = new LaunchRequest(runId, flow.name(), flow.commandSpec().orElseThrow().command(),
                Map.of(), Labels.forRun(runId, flow.name()), runId);
        Launch first = backend.launch(d, request);
        Launch second = backend.launch(d, request);
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(backend.find(Map.of(Labels.FLOW_RUN_ID, Labels.safeValue(runId)))).hasSize(1);
        backend.stop(first, "test over");
        await().atMost(10, TimeUnit.SECONDS).until(() -> statusOf(first).isFinished());
    }

    @Test
    void preparingAnUnchangedDefinitionReusesIt() {
        Definition first = backend.prepare(flow());
        Definition second = backend.prepare(flow());
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.contentHash()).isEqualTo(first.contentHash());
        assertThat(second.created()).isFalse();
    }

    @Test
    void cancellingTheFutureOfARunStopsItsUnit() throws Exception {
        Submitted s = submit(FlowRun.create());
        start(s.launch());
        assertThat(s.result().cancel(true)).isTrue();
        await().atMost(30, TimeUnit.SECONDS).until(() -> statusOf(s.launch()).isFinished());
        await().atMost(30, TimeUnit.SECONDS).until(() -> lifecycle.inFlight() == 0);
    }

    @Test
    void theListenerSeesTheUnitLaunchedRunningAndFinished() throws Exception {
        List<io.flowport.core.RunPhase> phases = new java.util.concurrent.CopyOnWriteArrayList<>();
        Submitted s = submit(FlowRun.builder().listener(new io.flowport.core.FlowRunListener() {
            @Override
            public void runPhaseChanged(FlowRun run, io.flowport.core.PhaseChange change) {
                phases.add(change.phase());
            }
        }).build());
        start(s.launch());
        await().atMost(30, TimeUnit.SECONDS).until(() -> phases.contains(io.flowport.core.RunPhase.RUNNING));
        exit(s.launch(), 0);
        FlowRunResult r = s.await();
        assertThat(phases).startsWith(io.flowport.core.RunPhase.PREPARED, io.flowport.core.RunPhase.LAUNCHED)
                .contains(io.flowport.core.RunPhase.RUNNING).endsWith(io.flowport.core.RunPhase.FINISHED);
        assertThat(r.phases()).extracting(io.flowport.core.PhaseChange::phase).isEqualTo(phases);
    }

    @Test
    void closingTheLifecycleEndsRunsInFlightAndResumeFollowsThemAgain() throws Exception {
        FlowRun run = FlowRun.create();
        Submitted s = submit(run);
        start(s.launch());
        lifecycle.close();
        FlowRunResult closed = s.result().get(5, TimeUnit.SECONDS);
        assertThat(closed.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(closed.state().message()).contains("left running");

        lifecycle = new BackendLifecycle(backend, settings());
        Flow flow = flow();
        CompletableFuture<FlowRunResult> resumed = lifecycle.resume(flow, run, new LaunchRequest(run.id(),
                flow.name(), flow.commandSpec().orElseThrow().command(), Map.of("FLOWPORT__FLOW_RUN_ID", run.id()),
                Labels.forRun(run.id(), flow.name()), run.id()));
        await().atMost(30, TimeUnit.SECONDS).until(() -> lifecycle.inFlight() == 1);
        exit(s.launch(), 0);
        FlowRunResult r = resumed.get(60, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(backend.find(Map.of(Labels.FLOW_RUN_ID, Labels.safeValue(run.id())))).hasSize(1);
    }

    @Test
    void aFailedRunsLogTailIsReadable() throws Exception {
        Submitted s = submit(FlowRun.create());
        start(s.launch());
        exit(s.launch(), 1);
        FlowRunResult r = s.await();
        assertThat(r.logs().tail(5)).hasSizeLessThanOrEqualTo(5);
        assertThat(r.logs().location()).isNotBlank();
    }

    @Test
    void finishedUnitsAreFoundByLabelAndDeletedAfterTheirTtl() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(backend.supportsDelete(), backend.name()
                + " removes finished units by itself: nothing to delete (see unitsThatVanishByThemselvesAreNotDeletable)");
        Submitted done = submit(FlowRun.create());
        start(done.launch());
        exit(done.launch(), 0);
        done.await();
        Submitted running = submit(FlowRun.create());
        start(running.launch());

        Clock now = Clock.systemUTC();
        assertThat(BackendCleaner.deleteFinished(backend, MANAGED, Duration.ofHours(1), now)).isEmpty();
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
        List<Launch> deleted = BackendCleaner.deleteFinished(backend, MANAGED, Duration.ofHours(1), later);
        assertThat(deleted).extracting(Launch::id).contains(done.launch().id())
                .doesNotContain(running.launch().id());
        assertThat(launchOf(done.launch().flowRunId())).isNull();
        assertThat(launchOf(running.launch().flowRunId())).isNotNull();

        exit(running.launch(), 0);
        running.await();
    }

    @Test
    void unitsThatVanishByThemselvesAreNotDeletable() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(backend.supportsDelete(), backend.name()
                + " deletes finished units (see finishedUnitsAreFoundByLabelAndDeletedAfterTheirTtl)");
        Submitted done = submit(FlowRun.create());
        start(done.launch());
        exit(done.launch(), 0);
        done.await();
        assertThat(backend.find(Map.of(Labels.FLOW_RUN_ID, Labels.safeValue(done.launch().flowRunId()))))
                .allSatisfy(f -> assertThat(f.deletable()).isFalse());
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
        assertThat(BackendCleaner.deleteFinished(backend, MANAGED, Duration.ofHours(1), later)).isEmpty();
    }

    /** The current status of a unit, read through the backend's own observation. */
    protected RunStatus statusOf(Launch launch) {
        if (backend.observation() instanceof Observation.Polling p) {
            RunStatus s = p.describe(List.of(launch)).get(launch.id());
            return s == null ? RunStatus.finished(io.flowport.core.State.crashed("gone", null), "gone") : s;
        }
        return backend.find(Map.of(Labels.FLOW_RUN_ID, Labels.safeValue(launch.flowRunId()))).stream()
                .map(Backend.Found::status).findFirst()
                .orElse(RunStatus.finished(io.flowport.core.State.crashed("gone", null), "gone"));
    }
}
