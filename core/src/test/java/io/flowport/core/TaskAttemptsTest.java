package io.flowport.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Each task's attempts with their times and states, as both executors record them. */
class TaskAttemptsTest {

    static Stream<Arguments> executors() {
        return Stream.of(Arguments.of(Executor.sequential()), Arguments.of(Executor.parallel(3)));
    }

    @ParameterizedTest
    @MethodSource("executors")
    void everyAttemptHasItsStartEndAndState(Executor executor) {
        AtomicInteger tries = new AtomicInteger();
        Flow flow = Flow.builder("attempts")
                .task("flaky").retries(3, Duration.ofMillis(20)).run(ctx -> {
                    Thread.sleep(10);
                    if (tries.incrementAndGet() < 3) {
                        throw new IllegalStateException("busy " + tries.get());
                    }
                    return "ok";
                })
                .task("after").after("flaky").run(ctx -> ctx.upstream("flaky"))
                .task("broken").after("flaky").run(ctx -> {
                    throw new IllegalArgumentException("bad input");
                })
                .task("never").after("broken").run(ctx -> 1)
                .build();
        Instant before = Instant.now();
        FlowRunResult r = executor.execute(flow, FlowRun.create());
        Instant after = Instant.now();

        TaskRun flaky = r.task("flaky").orElseThrow();
        assertThat(flaky.attempts()).isEqualTo(3);
        assertThat(flaky.history()).extracting(TaskAttempt::number).containsExactly(1, 2, 3);
        assertThat(flaky.history()).extracting(a -> a.state().type())
                .containsExactly(StateType.FAILED, StateType.FAILED, StateType.SUCCESS);
        assertThat(flaky.history().get(0).state().message()).isEqualTo("IllegalStateException: busy 1");
        assertThat(flaky.history().get(1).state().message()).isEqualTo("IllegalStateException: busy 2");
        for (int i = 0; i < 3; i++) {
            TaskAttempt a = flaky.history().get(i);
            assertThat(a.start()).isBetween(before, after);
            assertThat(a.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(9));
            if (i > 0) {
                // the retry delay lies between two attempts
                assertThat(Duration.between(flaky.history().get(i - 1).end(), a.start()))
                        .isGreaterThanOrEqualTo(Duration.ofMillis(19));
            }
        }
        assertThat(flaky.startedAt()).contains(flaky.history().get(0).start());
        assertThat(Duration.between(flaky.startedAt().orElseThrow(), flaky.endedAt().orElseThrow()))
                .isBetween(flaky.duration().minusMillis(1), flaky.duration().plusMillis(1));

        TaskRun next = r.task("after").orElseThrow();
        assertThat(next.attempts()).isEqualTo(1);
        assertThat(next.history()).singleElement().satisfies(a -> {
            assertThat(a.state().isSuccess()).isTrue();
            assertThat(a.start()).isAfterOrEqualTo(flaky.endedAt().orElseThrow());
        });
        assertThat(next.upstream()).containsExactly("flaky");
        assertThat(r.task("broken").orElseThrow().history()).singleElement()
                .satisfies(a -> assertThat(a.state().message()).isEqualTo("IllegalArgumentException: bad input"));
        TaskRun never = r.task("never").orElseThrow();
        assertThat(never.state().type()).isEqualTo(StateType.SKIPPED);
        assertThat(never.attempts()).isZero();
        assertThat(never.history()).isEmpty();
        assertThat(never.startedAt()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("executors")
    void aTimedOutAttemptIsRetriedAndKeptInTheHistory(Executor executor) {
        AtomicInteger tries = new AtomicInteger();
        Flow flow = Flow.builder("timeouts")
                .task("slow").retries(1, Duration.ZERO).timeout(Duration.ofMillis(50)).run(ctx -> {
                    if (tries.incrementAndGet() == 1) {
                        Thread.sleep(5_000);
                    }
                    return 1;
                })
                .build();
        TaskRun slow = executor.execute(flow, FlowRun.create()).task("slow").orElseThrow();
        assertThat(slow.history()).extracting(a -> a.state().type())
                .containsExactly(StateType.TIMED_OUT, StateType.SUCCESS);
        assertThat(slow.history().get(0).duration()).isLessThan(Duration.ofSeconds(4));
    }

    @ParameterizedTest
    @MethodSource("executors")
    void aRunCancelledDuringTheRetryDelayKeepsOnlyTheAttemptsThatRan(Executor executor) {
        CancellationToken token = new CancellationToken();
        Flow flow = Flow.builder("cancel")
                .task("fails").retries(5, Duration.ofSeconds(30)).run(ctx -> {
                    token.cancel("stop now");
                    throw new IllegalStateException("nope");
                })
                .build();
        TaskRun t = executor.execute(flow, FlowRun.builder().cancellation(token).build()).task("fails")
                .orElseThrow();
        assertThat(t.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(t.attempts()).isEqualTo(1);
        assertThat(t.history()).singleElement().satisfies(a -> assertThat(a.state().type())
                .isIn(StateType.FAILED, StateType.CANCELLED));
    }

    @ParameterizedTest
    @MethodSource("executors")
    void theListenerGetsEachTaskOutcomeWithItsAttemptsOnTheTasksThread(Executor executor) {
        Map<String, TaskRun> outcomes = new ConcurrentHashMap<>();
        List<String> wrongThread = new CopyOnWriteArrayList<>();
        Map<String, Thread> runningOn = new ConcurrentHashMap<>();
        FlowRunListener listener = new FlowRunListener() {
            @Override
            public void taskStateChanged(FlowRun run, TaskSpec task, State state) {
                if (state.type() == StateType.RUNNING) {
                    runningOn.put(task.name(), Thread.currentThread());
                }
            }

            @Override
            public void taskFinished(FlowRun run, TaskSpec task, TaskRun outcome) {
                Thread t = runningOn.get(task.name());
                if (t != null && t != Thread.currentThread()) {
                    wrongThread.add(task.name());
                }
                outcomes.put(task.name(), outcome);
            }
        };
        AtomicInteger tries = new AtomicInteger();
        Flow flow = Flow.builder("listened")
                .task("a").retries(1, Duration.ZERO).run(ctx -> {
                    if (tries.incrementAndGet() == 1) {
                        throw new IllegalStateException("first");
                    }
                    return 1;
                })
                .task("b").after("a").run(ctx -> 2)
                .task("c").after("a").run(ctx -> {
                    throw new IllegalStateException("c fails");
                })
                .task("d").after("c").run(ctx -> 4)
                .build();
        executor.execute(flow, FlowRun.builder().listener(listener).build());
        assertThat(outcomes).containsOnlyKeys("a", "b", "c", "d");
        assertThat(outcomes.get("a").history()).hasSize(2);
        assertThat(outcomes.get("a").state().isSuccess()).isTrue();
        assertThat(outcomes.get("c").state().type()).isEqualTo(StateType.FAILED);
        assertThat(outcomes.get("d").state().type()).isEqualTo(StateType.SKIPPED);
        assertThat(outcomes.get("d").history()).isEmpty();
        assertThat(wrongThread).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("executors")
    void theResultCarriesTheResolvedParameters(Executor executor) {
        Flow flow = Flow.builder("p").parameter("n", Integer.class, 3).parameter("s", String.class, "x")
                .task("t", ctx -> 1).build();
        FlowRunResult r = executor.execute(flow, FlowRun.withParameters(Map.of("n", "7")));
        assertThat(r.parameters()).containsEntry("n", 7).containsEntry("s", "x");
    }

    @ParameterizedTest
    @MethodSource("executors")
    void cancellingInterruptsEveryRunningTask(Executor executor) {
        CancellationToken token = new CancellationToken();
        Flow.Builder b = Flow.builder("interrupt");
        for (int i = 0; i < 3; i++) {
            b.task("sleep" + i, ctx -> {
                Thread.sleep(30_000);
                return null;
            });
        }
        java.util.concurrent.CompletableFuture.delayedExecutor(200, java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(() -> token.cancel("enough"));
        long t0 = System.nanoTime();
        FlowRunResult r = executor.execute(b.build(), FlowRun.builder().cancellation(token).build());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(r.tasks().values()).allSatisfy(t -> assertThat(t.state().type()).isEqualTo(StateType.CANCELLED));
    }
}
