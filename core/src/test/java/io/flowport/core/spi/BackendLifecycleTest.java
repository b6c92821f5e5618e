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
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), 0, -2, Duration.ZERO, false))
                .hasMessageContaining("launchDeadline must be a positive duration")
                .hasMessageContaining("maxPollInterval (PT1S) must be >= minPollInterval (PT2S)")
                .hasMessageContaining("missingPollsBeforeCrash must be >= 1")
                .hasMessageContaining("launchesPerSecond must be >= 0")
                .hasMessageContaining("threads must be >= 1")
                .hasMessageContaining("statusReadsPerSecond must be >= 0")
                .hasMessageContaining("statusFailureDeadline must be a positive duration");
    }

    private Launch onlyUnit() {
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 1);
        return backend.units.values().iterator().next().launch;
    }

    private void restart(BackendLifecycle.Settings settings) {
        lifecycle.close();
        lifecycle = new BackendLifecycle(backend, settings);
    }

    private static BackendLifecycle.Settings.Builder fast() {
        return BackendLifecycle.Settings.builder()
                .pollIntervals(Duration.ofMillis(20), Duration.ofMillis(100))
                .launchDeadline(Duration.ofSeconds(5))
                .backoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(50)));
    }

    @Test
    void cancellingTheReturnedFutureStopsTheUnitLikeTheCancellationToken() throws Exception {
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = submit(run);
        Launch l = onlyUnit();
        backend.start(l);
        assertThat(f.cancel(true)).isTrue();
        assertThat(f).isCancelled();
        assertThat(run.cancellation().isCancelled()).isTrue();
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.get(l.id()).status.isFinished());
        await().atMost(5, TimeUnit.SECONDS).until(() -> lifecycle.inFlight() == 0);
        assertThat(backend.stopCalls).hasValue(1);
        int describes = backend.describeCalls.get();
        Thread.sleep(300);
        assertThat(backend.describeCalls.get()).as("nothing is polled once the run ended").isEqualTo(describes);
    }

    @Test
    void theListenerSeesEveryPhaseOfARemoteRunAndTheResultKeepsThem() throws Exception {
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        FlowRun run = FlowRun.builder().listener(new io.flowport.core.FlowRunListener() {
            @Override
            public void runStarted(Flow f, FlowRun r) {
                events.add("started");
            }

            @Override
            public void runPhaseChanged(FlowRun r, io.flowport.core.PhaseChange change) {
                events.add(change.phase().name());
            }

            @Override
            public void runFinished(FlowRunResult result) {
                events.add("finished " + result.state().type());
            }
        }).build();
        CompletableFuture<FlowRunResult> f = submit(run);
        Launch l = onlyUnit();
        await().atMost(5, TimeUnit.SECONDS).until(() -> events.contains("PROVISIONING"));
        backend.start(l);
        await().atMost(5, TimeUnit.SECONDS).until(() -> events.contains("RUNNING"));
        backend.exit(l, 0);
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(events).containsExactly("started", "PREPARED", "LAUNCHED", "PROVISIONING", "RUNNING", "FINISHED",
                "finished Success");
        assertThat(r.phases()).extracting(p -> p.phase().name())
                .containsExactly("PREPARED", "LAUNCHED", "PROVISIONING", "RUNNING", "FINISHED");
        assertThat(r.phases().get(1).detail()).isEqualTo(l.id());
    }

    @Test
    void aStoppedRunEndsWithinTheMinimumIntervalEvenAfterTheIntervalHasGrown() throws Exception {
        restart(fast().pollIntervals(Duration.ofMillis(100), Duration.ofSeconds(20)).build());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = submit(run);
        backend.start(onlyUnit());
        // nothing changes for a while: the interval doubles 100 ms -> 3.2 s
        Thread.sleep(3_500);
        long start = System.nanoTime();
        run.cancellation().cancel("enough");
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(tookMs).as("result after the stop, in ms").isLessThan(1_500);
    }

    @Test
    void closingWithRunsInFlightEndsEveryCallerAtOnceAndSaysWhatWasLeftRunning() throws Exception {
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(5);
        try {
            List<java.util.concurrent.Future<FlowRunResult>> results = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                results.add(callers.submit(() -> lifecycle.execute(flow, FlowRun.create(),
                        new LaunchRequest("r", flow.name(), List.of("true"), Map.of(), Map.of(), "t"))));
            }
            await().atMost(5, TimeUnit.SECONDS).until(() -> lifecycle.inFlight() == 5
                    && backend.units.size() >= 1);
            await().atMost(5, TimeUnit.SECONDS).until(() -> backend.launchCalls.get() >= 5);
            long start = System.nanoTime();
            lifecycle.close();
            for (java.util.concurrent.Future<FlowRunResult> f : results) {
                FlowRunResult r = f.get(1, TimeUnit.SECONDS);
                assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
                assertThat(r.state().message()).contains("the environment was closed").contains("left running");
                assertThat(r.detail(BackendLifecycle.UNIT_LEFT_RUNNING)).isPresent();
            }
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_000);
            assertThat(lifecycle.inFlight()).isZero();
            assertThatThrownBy(() -> submit(FlowRun.create())).isInstanceOf(IllegalStateException.class);
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void closingWithStopOnCloseStopsTheUnitsOfRunsInFlight() throws Exception {
        restart(fast().stopOnClose(true).build());
        List<CompletableFuture<FlowRunResult>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(submit(FlowRun.create()));
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 3 && lifecycle.inFlight() == 3);
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.values().stream()
                .allMatch(u -> u.status.phase() == RunStatus.Phase.PROVISIONING));
        Thread.sleep(100); // let the launches' answers arrive
        lifecycle.close();
        for (CompletableFuture<FlowRunResult> f : futures) {
            FlowRunResult r = f.get(1, TimeUnit.SECONDS);
            assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
            assertThat(r.state().message()).contains("was stopped");
        }
        assertThat(backend.units.values()).allMatch(u -> u.status.isFinished());
    }

    @Test
    void statusReadsNeverExceedTheRateHoweverFastRunsAreLaunched() throws Exception {
        backend.readsPerSecond = 1_000; // the setting below must win
        restart(fast().pollIntervals(Duration.ofMillis(1), Duration.ofMillis(1)).statusReadsPerSecond(10).build());
        List<CompletableFuture<FlowRunResult>> futures = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < end && futures.size() < 300) {
            futures.add(submit(FlowRun.create()));
            Thread.sleep(10);
        }
        List<Long> times = new ArrayList<>(backend.describeTimes);
        assertThat(times.size()).isGreaterThan(5);
        for (int i = 0; i < times.size(); i++) {
            long windowEnd = times.get(i) + TimeUnit.SECONDS.toNanos(1);
            int inWindow = 0;
            for (int j = i; j < times.size() && times.get(j) < windowEnd; j++) {
                inWindow++;
            }
            assertThat(inWindow).as("status reads in the second after read %d", i).isLessThanOrEqualTo(11);
        }
        for (InMemoryBackend.Unit u : backend.units.values()) {
            backend.exit(u.launch, 0);
        }
        for (CompletableFuture<FlowRunResult> f : futures) {
            assertThat(f.get(30, TimeUnit.SECONDS).isSuccess()).isTrue();
        }
    }

    @Test
    void launchesDoNotEachWakeAPoll() throws Exception {
        restart(fast().pollIntervals(Duration.ofMillis(200), Duration.ofMillis(200)).build());
        long start = System.nanoTime();
        List<CompletableFuture<FlowRunResult>> futures = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            futures.add(submit(FlowRun.create()));
            Thread.sleep(10);
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        // 80 launches over ~0.8 s+: at most one poll per 200 ms (plus the first), never one per launch
        assertThat(backend.describeCalls.get()).isLessThanOrEqualTo((int) (elapsedMs / 200) + 2);
        for (InMemoryBackend.Unit u : backend.units.values()) {
            backend.exit(u.launch, 0);
        }
        for (CompletableFuture<FlowRunResult> f : futures) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void runsWhoseStatusCannotBeReadForTheDeadlineCrashWithTheLastError() throws Exception {
        restart(fast().statusFailureDeadline(Duration.ofMillis(300)).build());
        CompletableFuture<FlowRunResult> f = submit(FlowRun.create());
        backend.start(onlyUnit());
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.describeCalls.get() > 0);
        backend.describeFailure = new io.flowport.core.LaunchException(
                "AccessDeniedException: not authorized to perform ecs:DescribeTasks");
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("could not read the status of unit-1 from memory for PT0.3S")
                .contains("not authorized to perform ecs:DescribeTasks");
    }

    @Test
    void aSlowLogReadDelaysNeitherTheTimersNorTheOtherRuns() throws Exception {
        CompletableFuture<FlowRunResult> slow = submit(FlowRun.create());
        Launch slowUnit = onlyUnit();
        CompletableFuture<FlowRunResult> quick = submit(FlowRun.create());
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 2);
        Launch quickUnit = backend.units.values().stream().map(u -> u.launch)
                .filter(l -> !l.id().equals(slowUnit.id())).findFirst().orElseThrow();
        backend.slowLogs.put(slowUnit.id(), Duration.ofSeconds(3));
        backend.start(slowUnit);
        backend.exit(slowUnit, 1);
        await().atMost(5, TimeUnit.SECONDS).until(() -> lifecycle.inFlight() == 1);
        long start = System.nanoTime();
        backend.start(quickUnit);
        backend.exit(quickUnit, 0);
        assertThat(quick.get(2, TimeUnit.SECONDS).isSuccess()).isTrue();
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
        assertThat(slow.get(10, TimeUnit.SECONDS).state().type()).isEqualTo(StateType.FAILED);
    }

    @Test
    void theRunnersReportIsReadFromTheTailOfALongLog() throws Exception {
        CompletableFuture<FlowRunResult> f = submit(FlowRun.create());
        Launch l = onlyUnit();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            lines.add("line " + i);
        }
        lines.add("{\"event\":\"flowport.result\",\"state\":\"Failed\",\"message\":\"task 'x' Failed\"}");
        backend.extraLogLines.put(l.id(), lines);
        backend.start(l);
        backend.exit(l, 1);
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.state().message()).endsWith("the runner reported: Failed: task 'x' Failed");
        assertThat(backend.fullLogReads).as("the whole log is never read for the report").hasValue(0);
    }

    @Test
    void aCancellationDuringLaunchRetriesStopsAUnitWhoseAnswerWasLost() throws Exception {
        restart(fast().backoff(new Backoff(Duration.ofSeconds(3), Duration.ofSeconds(3))).build());
        backend.loseNextLaunchAnswers = 1;
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = submit(run);
        Launch l = onlyUnit();
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.launchCalls.get() == 1);
        run.cancellation().cancel("not needed");
        FlowRunResult r = f.get(2, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.get(l.id()).status.isFinished());
        Thread.sleep(3_500);
        assertThat(backend.launchCalls).as("the retry never runs").hasValue(1);
    }

    @Test
    void resumeFollowsARunningUnitWithoutLaunchingAgain() throws Exception {
        FlowRun run = FlowRun.create();
        submit(run);
        Launch l = onlyUnit();
        backend.start(l);
        lifecycle.close(); // as if the process died
        lifecycle = new BackendLifecycle(backend, fast().build());
        CompletableFuture<FlowRunResult> f = lifecycle.resume(flow, run, new LaunchRequest(run.id(), flow.name(),
                List.of("true"), Map.of(), Labels.forRun(run.id(), flow.name()), run.id()));
        await().atMost(5, TimeUnit.SECONDS).until(() -> lifecycle.inFlight() == 1 && backend.describeCalls.get() > 0);
        backend.exit(l, 0);
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.phases().get(0).detail()).isEqualTo("reattached to " + l.id());
        assertThat(backend.launchCalls).hasValue(1);
    }

    @Test
    void resumeGivesTheFinalStateOfAFinishedUnitAndLaunchesARunThatHasNone() throws Exception {
        FlowRun done = FlowRun.create();
        submit(done);
        Launch l = onlyUnit();
        backend.start(l);
        backend.exit(l, 4);
        FlowRunResult r = lifecycle.resume(flow, done, new LaunchRequest(done.id(), flow.name(), List.of("true"),
                Map.of(), Labels.forRun(done.id(), flow.name()), done.id())).get(10, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("code 4");

        FlowRun fresh = FlowRun.create();
        CompletableFuture<FlowRunResult> f = lifecycle.resume(flow, fresh, new LaunchRequest(fresh.id(), flow.name(),
                List.of("true"), Map.of(), Labels.forRun(fresh.id(), flow.name()), fresh.id()));
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 2);
        Launch second = backend.units.values().stream().map(u -> u.launch)
                .filter(x -> x.flowRunId().equals(fresh.id())).findFirst().orElseThrow();
        backend.exit(second, 0);
        assertThat(f.get(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        assertThat(backend.launchCalls).hasValue(2);
    }

    @Test
    void backoffRejectsNonsenseAndNeverOverflows() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessageContaining("base must be a positive duration");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("max must be a duration >= base");
        Backoff b = new Backoff(Duration.ofSeconds(30), Duration.ofHours(1));
        for (int attempt : new int[]{0, 1, 7, 8, 31, 40, 63, 64, Integer.MAX_VALUE}) {
            Duration d = b.delay(attempt);
            assertThat(d).as("delay of attempt %d", attempt).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));
        }
        assertThat(b.delay(40)).isGreaterThanOrEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void aRunSubmittedAfterThePollerWentIdleIsFollowed() throws Exception {
        restart(fast().pollIntervals(Duration.ofMillis(20), Duration.ofMillis(20)).build());
        for (int i = 0; i < 3; i++) {
            CompletableFuture<FlowRunResult> f = submit(FlowRun.create());
            await().atMost(5, TimeUnit.SECONDS).until(() -> lifecycle.inFlight() == 1 && backend.units.values()
                    .stream().anyMatch(u -> !u.status.isFinished()));
            Launch l = backend.units.values().stream().filter(u -> !u.status.isFinished()).findFirst()
                    .orElseThrow().launch;
            backend.exit(l, 0);
            assertThat(f.get(5, TimeUnit.SECONDS).isSuccess()).as("run %d", i).isTrue();
            Thread.sleep(100); // the poller goes idle: nothing to follow
        }
    }
}
