package io.flowport.core.spi;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class BackendLifecycleTest {

    private final InMemoryBackend backend = new InMemoryBackend();
    private final Flow flow = Flow.command("f", CommandSpec.of("true"));
    private BackendLifecycle lifecycle = new BackendLifecycle(backend, BackendLifecycle.Settings.defaults()
            .withPollIntervals(Duration.ofMillis(20), Duration.ofMillis(100))
            .withLaunchRetries(Duration.ofSeconds(5), new Backoff(Duration.ofMillis(5), Duration.ofMillis(50))));

    @AfterEach
    void close() {
        lifecycle.close();
    }

    private CompletableFuture<FlowRunResult> submit(FlowRun run) {
        return lifecycle.submit(flow, run, new LaunchRequest(run.id(), flow.name(), List.of("true"), Map.of(),
                Labels.forRun(run.id(), flow.name()), run.id()));
    }

    @Test
    void throttledLaunchesAreRetriedAndNeverReachTheUser() throws Exception {
        backend.throttleNextLaunches = 3;
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = submit(run);
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 1);
        Launch l = backend.units.values().iterator().next().launch;
        backend.start(l);
        backend.exit(l, 0);
        assertThat(f.get(10, TimeUnit.SECONDS).state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(backend.launchCalls).hasValue(4);
    }

    @Test
    void aLostLaunchAnswerDoesNotStartASecondUnit() throws Exception {
        backend.loseNextLaunchAnswers = 2;
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = submit(run);
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.launchCalls.get() == 3);
        assertThat(backend.units).hasSize(1);
        Launch l = backend.units.values().iterator().next().launch;
        backend.start(l);
        backend.exit(l, 0);
        assertThat(f.get(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }

    @Test
    void launchRetriesStopAtTheDeadlineWithTheLastErrorInTheMessage() throws Exception {
        lifecycle.close();
        lifecycle = new BackendLifecycle(backend, BackendLifecycle.Settings.defaults()
                .withLaunchRetries(Duration.ofMillis(300), new Backoff(Duration.ofMillis(20), Duration.ofMillis(50))));
        backend.throttleNextLaunches = Integer.MAX_VALUE;
        FlowRunResult r = submit(FlowRun.create()).get(10, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("could not launch on memory within PT0.3S")
                .contains("ThrottlingException: Rate exceeded");
        assertThat(backend.units).isEmpty();
    }

    @Test
    void manyRunsAreFollowedWithBatchedStatusReads() throws Exception {
        List<CompletableFuture<FlowRunResult>> futures = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            futures.add(submit(FlowRun.create()));
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> backend.units.size() == 250);
        int before = backend.describeCalls.get();
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.describeCalls.get() >= before + 6);
        assertThat(backend.maxDescribeBatch.get()).isLessThanOrEqualTo(100);
        for (InMemoryBackend.Unit u : backend.units.values()) {
            backend.start(u.launch);
            backend.exit(u.launch, 0);
        }
        for (CompletableFuture<FlowRunResult> f : futures) {
            assertThat(f.get(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        }
        assertThat(backend.prepareCalls).hasValue(1);
        assertThat(lifecycle.inFlight()).isZero();
    }

    @Test
    void aRunTimeoutStopsTheUnitAndEndsTimedOut() throws Exception {
        FlowRun run = FlowRun.builder().timeout(Duration.ofMillis(300)).build();
        CompletableFuture<FlowRunResult> f = submit(run);
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 1);
        backend.start(backend.units.values().iterator().next().launch);
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.TIMED_OUT);
        assertThat(r.state().message()).startsWith("run timed out after PT0.3S");
        assertThat(backend.units.values().iterator().next().status.isFinished()).isTrue();
    }

    @Test
    void aCancellationBeforeTheLaunchStartsNothing() throws Exception {
        backend.throttleNextLaunches = Integer.MAX_VALUE;
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = submit(run);
        run.cancellation().cancel("changed my mind");
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(backend.units).isEmpty();
    }

    @Test
    void aUnitThatVanishesCrashesTheRun() throws Exception {
        CompletableFuture<FlowRunResult> f = submit(FlowRun.create());
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 1);
        backend.units.clear();
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("no longer knows");
    }

    @Test
    void aFailedRunCarriesWhatTheRunnerReported() throws Exception {
        CompletableFuture<FlowRunResult> f = submit(FlowRun.create());
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 1);
        Launch l = backend.units.values().iterator().next().launch;
        backend.extraLogLines.put(l.id(), List.of("{\"event\":\"flowport.result\",\"state\":\"Failed\","
                + "\"message\":\"task 'load' Failed: SQLException: no such table\"}"));
        backend.start(l);
        backend.exit(l, 1);
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.state().message()).isEqualTo("container exited with code 1; the runner reported: "
                + "Failed: task 'load' Failed: SQLException: no such table");
        assertThat(r.logs().lines()).hasSize(2);
    }

    @Test
    void settingsRejectNonsenseNamingEachField() {
        assertThatThrownBy(() -> new BackendLifecycle.Settings(Duration.ZERO, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(1), 0, -1,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), 0))
                .hasMessageContaining("launchDeadline must be a positive duration")
                .hasMessageContaining("maxPollInterval (PT1S) must be >= minPollInterval (PT2S)")
                .hasMessageContaining("missingPollsBeforeCrash must be >= 1")
                .hasMessageContaining("launchesPerSecond must be >= 0")
                .hasMessageContaining("threads must be >= 1");
    }
}
