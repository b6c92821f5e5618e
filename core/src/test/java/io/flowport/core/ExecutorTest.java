package io.flowport.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Behaviour both executors owe: the same assertions run against each. */
class ExecutorTest {

    static Stream<Arguments> executors() {
        return Stream.of(Arguments.of(Executor.sequential()), Arguments.of(Executor.parallel(4)));
    }

    @ParameterizedTest
    @MethodSource("executors")
    void passesUpstreamResultsAndParameters(Executor executor) {
        Flow flow = Flow.builder("sum")
                .parameter("base", Integer.class, 1)
                .task("a", ctx -> ctx.parameter("base", Integer.class) + 1)
                .task("b", ctx -> 10)
                .task("c").after("a", "b").run(ctx -> ctx.upstream("a", Integer.class) + ctx.upstream("b", Integer.class))
                .build();
        FlowRunResult r = executor.execute(flow, FlowRun.withParameters(Map.of("base", 5)));
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.result("c")).contains(16);
        assertThat(r.task("c").orElseThrow().attempts()).isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void fanOutAndFanInOfManyTasks(Executor executor) {
        Flow.Builder b = Flow.builder("fan").task("root", ctx -> 1);
        List<String> middle = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            String name = "m" + i;
            middle.add(name);
            int k = i;
            b.task(name).after("root").run(ctx -> ctx.upstream("root", Integer.class) + k);
        }
        b.task("sink").after(middle).run(ctx -> ctx.upstreamResults().values().stream()
                .mapToInt(v -> (Integer) v).sum());
        FlowRunResult r = executor.execute(b.build(), FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.result("sink")).contains(2000 + 1999 * 2000 / 2);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void failureSkipsDownstreamAndFailsTheRunWithoutHanging(Executor executor) {
        Flow flow = Flow.builder("f")
                .task("ok", ctx -> 1)
                .task("boom", ctx -> {
                    throw new IllegalStateException("disk full");
                })
                .task("after-boom").after("boom").run(ctx -> 2)
                .task("after-after").after("after-boom", "ok").run(ctx -> 3)
                .task("independent").after("ok").run(ctx -> 4)
                .build();
        FlowRunResult r = executor.execute(flow, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).isEqualTo("task 'boom' Failed: IllegalStateException: disk full");
        assertThat(r.state().cause()).isInstanceOf(IllegalStateException.class);
        assertThat(r.task("boom").orElseThrow().state().cause()).hasMessage("disk full");
        assertThat(r.task("after-boom").orElseThrow().state())
                .isEqualTo(State.of(StateType.SKIPPED, "upstream task 'boom' failed"));
        assertThat(r.task("after-after").orElseThrow().state().type()).isEqualTo(StateType.SKIPPED);
        assertThat(r.task("independent").orElseThrow().state().type()).isEqualTo(StateType.SUCCESS);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void retriesUntilSuccessAndReportsRetryingStates(Executor executor) {
        AtomicInteger calls = new AtomicInteger();
        List<StateType> seen = new CopyOnWriteArrayList<>();
        Flow flow = Flow.builder("f")
                .task("flaky").retries(3, Duration.ofMillis(5)).run(ctx -> {
                    if (calls.incrementAndGet() < 3) {
                        throw new RuntimeException("not yet");
                    }
                    return ctx.attempt();
                })
                .build();
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void taskStateChanged(FlowRun r, TaskSpec task, State state) {
                seen.add(state.type());
            }
        }).build();
        FlowRunResult r = executor.execute(flow, run);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.result("flaky")).contains(3);
        assertThat(r.task("flaky").orElseThrow().attempts()).isEqualTo(3);
        assertThat(seen).containsExactly(StateType.RUNNING, StateType.RETRYING, StateType.RETRYING, StateType.SUCCESS);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void failsAfterTheLastRetry(Executor executor) {
        AtomicInteger calls = new AtomicInteger();
        Flow flow = Flow.builder("f")
                .task("bad").retries(2, Duration.ZERO).run(ctx -> {
                    calls.incrementAndGet();
                    throw new RuntimeException("always");
                })
                .build();
        FlowRunResult r = executor.execute(flow, FlowRun.create());
        assertThat(calls).hasValue(3);
        assertThat(r.task("bad").orElseThrow().state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.task("bad").orElseThrow().attempts()).isEqualTo(3);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void timesOutASlowTask(Executor executor) {
        Flow flow = Flow.builder("f")
                .task("slow").timeout(Duration.ofMillis(100)).run(ctx -> {
                    Thread.sleep(10_000);
                    return null;
                })
                .task("next").after("slow").run(ctx -> null)
                .build();
        long t0 = System.nanoTime();
        FlowRunResult r = executor.execute(flow, FlowRun.create());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.task("slow").orElseThrow().state())
                .isEqualTo(State.timedOut("task 'slow' timed out after PT0.1S"));
        assertThat(r.task("next").orElseThrow().state().message()).isEqualTo("upstream task 'slow' timed out");
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void runTimeoutEndsTheRunTimedOut(Executor executor) {
        Flow flow = Flow.builder("f")
                .task("slow", ctx -> {
                    Thread.sleep(10_000);
                    return null;
                })
                .task("never").after("slow").run(ctx -> null)
                .build();
        FlowRunResult r = executor.execute(flow, FlowRun.builder().timeout(Duration.ofMillis(150)).build());
        assertThat(r.state().type()).isEqualTo(StateType.TIMED_OUT);
        assertThat(r.state().message()).isEqualTo("run timed out after PT0.15S");
        assertThat(r.task("never").orElseThrow().state().type()).isEqualTo(StateType.CANCELLED);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void cancellationInterruptsRunningTasksAndCancelsTheRest(Executor executor) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Flow flow = Flow.builder("f")
                .task("long", ctx -> {
                    started.countDown();
                    Thread.sleep(30_000);
                    return null;
                })
                .task("later").after("long").run(ctx -> null)
                .build();
        CancellationToken token = new CancellationToken();
        Thread canceller = new Thread(() -> {
            try {
                started.await(10, TimeUnit.SECONDS);
                token.cancel("user asked");
            } catch (InterruptedException ignored) {
                // test ends
            }
        });
        canceller.start();
        FlowRunResult r = executor.execute(flow, FlowRun.builder().cancellation(token).build());
        canceller.join();
        assertThat(r.state()).isEqualTo(State.cancelled("user asked"));
        assertThat(r.task("long").orElseThrow().state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(r.task("later").orElseThrow().state().type()).isEqualTo(StateType.CANCELLED);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void anErrorInATaskIsACrashNotAHang(Executor executor) {
        Flow flow = Flow.builder("f")
                .task("oom", ctx -> {
                    throw new OutOfMemoryError("simulated");
                })
                .build();
        FlowRunResult r = executor.execute(flow, FlowRun.create());
        assertThat(r.task("oom").orElseThrow().state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void rejectsBadParametersBeforeAnyTaskRuns(Executor executor) {
        AtomicInteger ran = new AtomicInteger();
        Flow flow = Flow.builder("f").requiredParameter("n", Integer.class)
                .task("a", ctx -> ran.incrementAndGet()).build();
        assertThatThrownBy(() -> executor.execute(flow, FlowRun.withParameters(Map.of("m", 1))))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("unknown parameter 'm'")
                .hasMessageContaining("missing required parameter 'n'");
        assertThat(ran).hasValue(0);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void aListenerThatThrowsDoesNotBreakTheRun(Executor executor) {
        Flow flow = Flow.builder("f").task("a", ctx -> 1).task("b").after("a").run(ctx -> 2).build();
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void taskStateChanged(FlowRun r, TaskSpec task, State state) {
                throw new IllegalStateException("listener bug");
            }
        }).build();
        FlowRunResult r = executor.execute(flow, run);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.result("b")).contains(2);
    }

    @ParameterizedTest
    @MethodSource("executors")
    void anEmptyFlowSucceeds(Executor executor) {
        Flow flow = Flow.builder("empty").build();
        assertThat(executor.execute(flow, FlowRun.create()).isSuccess()).isTrue();
    }

    @org.junit.jupiter.api.Test
    void parallelExecutorRunsIndependentTasksConcurrentlyOnABoundedPool() {
        Map<String, Boolean> threads = new ConcurrentHashMap<>();
        CountDownLatch both = new CountDownLatch(2);
        Flow.Builder b = Flow.builder("p");
        for (int i = 0; i < 200; i++) {
            b.task("t" + i, ctx -> {
                threads.put(Thread.currentThread().getName(), true);
                both.countDown();
                // the first two tasks only finish once two run at the same time
                return both.await(10, TimeUnit.SECONDS);
            });
        }
        FlowRunResult r = Executor.parallel(2).execute(b.build(), FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.tasks().values()).allMatch(t -> Boolean.TRUE.equals(t.result()));
        assertThat(threads).hasSizeLessThanOrEqualTo(2);
    }

    @org.junit.jupiter.api.Test
    void theDaskExecutorNamesTheArtifactToAddWhenItIsMissing() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Executor.dask("tls://10.0.0.1:8786"))
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("add the dependency io.flowport:flowport-env-dask-cloud");
    }

    @org.junit.jupiter.api.Test
    void aTaskCancelledWhileTheRunWasNotFailsTheRun() {
        Flow flow = Flow.builder("gave-up").task("t", ctx -> {
            throw new InterruptedException("the remote scheduler dropped the task");
        }).build();
        FlowRunResult r = Executor.sequential().execute(flow, FlowRun.create());
        org.assertj.core.api.Assertions.assertThat(r.task("t").orElseThrow().state().type())
                .isEqualTo(StateType.CANCELLED);
        org.assertj.core.api.Assertions.assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        org.assertj.core.api.Assertions.assertThat(r.state().message()).contains("task 't' Cancelled");
    }
}
