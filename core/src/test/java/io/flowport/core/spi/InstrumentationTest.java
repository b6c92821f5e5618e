package io.flowport.core.spi;

import io.flowport.core.AbstractEnvironment;
import io.flowport.core.CommandSpec;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunnerSettings;
import io.flowport.core.StateType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What the lifecycle and the environments tell an {@link Instrumentation}. */
class InstrumentationTest {

    private final InMemoryBackend backend = new InMemoryBackend();
    private final RecordingInstrumentation recorder = new RecordingInstrumentation();
    private final Flow flow = Flow.command("f", CommandSpec.of("true"));
    private final BackendLifecycle lifecycle = new BackendLifecycle(backend, BackendLifecycle.Settings.defaults()
            .withPollIntervals(Duration.ofMillis(20), Duration.ofMillis(100))
            .withLaunchRetries(Duration.ofSeconds(5), new Backoff(Duration.ofMillis(5), Duration.ofMillis(50))),
            recorder, "memory-env");

    @AfterEach
    void close() {
        lifecycle.close();
    }

    @Test
    void aSubmittedRunIsObservedWithEveryBackendCallRetryAndItsTraceContext() throws Exception {
        backend.throttleNextLaunches = 2;
        FlowRun run = FlowRun.builder().parameter("x", 1).build();
        CompletableFuture<FlowRunResult> f = lifecycle.submit(flow, run, new LaunchRequest(run.id(), flow.name(),
                List.of("true"), Map.of("USER_VAR", "kept"), Labels.forRun(run.id(), flow.name()), run.id()));
        await().atMost(5, TimeUnit.SECONDS).until(() -> backend.units.size() == 1);
        Launch l = backend.units.values().iterator().next().launch;
        backend.start(l);
        backend.exit(l, 0);
        FlowRunResult r = f.get(10, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.parameters()).containsEntry("x", 1);

        assertThat(recorder.events.get(0)).isEqualTo("start f on memory-env parent={}");
        assertThat(recorder.events).contains("call memory prepare ok", "run call memory launch failed TransientException",
                "run call memory launch ok", "run call memory logs ok", "phase LAUNCHED",
                "phase FINISHED", "end SUCCESS");
        assertThat(recorder.count("retry memory launch throttled=true")).isEqualTo(2);
        assertThat(recorder.count("run call memory launch failed")).isEqualTo(2);
        assertThat(recorder.count("call memory describe ok")).isPositive();
        assertThat(recorder.events.get(recorder.events.size() - 1)).isEqualTo("end SUCCESS");
        assertThat(recorder.count("end ")).isEqualTo(1);
        // the trace context travels with the runner's variables; the user's variables stay
        Map<String, String> env = backend.requests.get(run.id()).environment();
        assertThat(env).containsEntry(RunnerSettings.TRACEPARENT,
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").containsEntry("USER_VAR", "kept");
    }

    @Test
    void anEnvironmentObservesItsRunsOnceFromStartToAfterOnExitEvenWhenOnStartFails() {
        TestEnvironment env = TestEnvironment.builder().instrumentation(recorder)
                .executor(Executor.sequential()).onExit((info, result) -> recorder.events.add("onExit")).build();
        Flow local = Flow.builder("local").parameter("n", Integer.class, 2)
                .task("a").retries(1, Duration.ZERO).run(new io.flowport.core.TaskFunction() {
                    private int tries;

                    @Override
                    public Object run(io.flowport.core.TaskContext ctx) {
                        if (tries++ == 0) {
                            throw new IllegalStateException("first");
                        }
                        return 1;
                    }
                })
                .task("b").after("a").run(ctx -> 2)
                .build();
        FlowRunResult r = env.execute(local, FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.parameters()).containsEntry("n", 2);
        assertThat(recorder.events).containsExactly("start local on test parent={}", "task a SUCCESS x2",
                "task b SUCCESS x1", "onExit", "end SUCCESS");

        recorder.events.clear();
        TestEnvironment failingStart = TestEnvironment.builder().instrumentation(recorder)
                .onStart(info -> {
                    throw new IllegalStateException("no quota");
                }).build();
        assertThat(failingStart.execute(local, FlowRun.create()).state().type()).isEqualTo(StateType.FAILED);
        assertThat(recorder.events).containsExactly("start local on test parent={}", "end FAILED");
    }

    @Test
    void aProviderThatWrapsDoExecuteStillHandsTheObservationToTheLifecycle() {
        ScriptedBackend scripted = new ScriptedBackend("scripted").runFor(Duration.ofMillis(50));
        WrappingEnvironment env = new WrappingEnvironment(scripted, recorder);
        try {
            Flow job = Flow.command("job", CommandSpec.of("true"));
            FlowRun run = FlowRun.create();
            FlowRunResult r = env.execute(job, run);
            assertThat(r.isSuccess()).as(r.state().toString()).isTrue();
            // the provider's own wrapping still runs ...
            assertThat(r.warnings()).containsExactly("cleaned up after the run");
            // ... and the run is observed once, with its calls and its trace context in the launch
            assertThat(recorder.count("start job on wrapping")).isEqualTo(1);
            assertThat(recorder.count("run call scripted launch ok")).isEqualTo(1);
            assertThat(recorder.count("end SUCCESS")).isEqualTo(1);
            assertThat(scripted.request(run.id()).environment()).containsKey(RunnerSettings.TRACEPARENT);
        } finally {
            env.close();
        }
    }

    @Test
    void aProviderWithoutARegisteredTypeRunsAndIsObservedUnderItsClassName() {
        UnregisteredEnvironment env = new UnregisteredEnvironment(
                new ScriptedBackend("scripted").runFor(Duration.ofMillis(20)), recorder);
        try {
            FlowRunResult r = env.execute(Flow.command("job", CommandSpec.of("true")), FlowRun.create());
            assertThat(r.isSuccess()).as(r.state().toString()).isTrue();
            assertThat(recorder.count("start job on UnregisteredEnvironment")).isEqualTo(1);
        } finally {
            env.close();
        }
    }

    /** A provider of a user's own, with no {@link TypeProvider}: it cannot be serialized, but it runs. */
    static final class UnregisteredEnvironment extends BackendEnvironment {
        private final ScriptedBackend backend;

        UnregisteredEnvironment(ScriptedBackend backend, Instrumentation instrumentation) {
            super(new WrappingEnvironment.Builder().instrumentation(instrumentation));
            this.backend = backend;
        }

        @Override
        protected Backend createBackend() {
            return backend;
        }

        @Override
        protected LaunchRequest launchRequest(Flow flow, FlowRun run) {
            return new LaunchRequest(run.id(), flow.name(), List.of("true"), Map.of(),
                    Labels.forRun(run.id(), flow.name()), run.id());
        }
    }

    /** A provider that does something after each run, as ACI and Cloud Run delete theirs. */
    static final class WrappingEnvironment extends BackendEnvironment {
        private final ScriptedBackend backend;

        WrappingEnvironment(ScriptedBackend backend, Instrumentation instrumentation) {
            super(new Builder().instrumentation(instrumentation));
            this.backend = backend;
        }

        @Override
        public String type() {
            return "wrapping";
        }

        @Override
        protected Backend createBackend() {
            return backend;
        }

        @Override
        protected BackendLifecycle.Settings lifecycleSettings() {
            return BackendLifecycle.Settings.builder().pollIntervals(Duration.ofMillis(20), Duration.ofMillis(50))
                    .build();
        }

        @Override
        protected FlowRunResult doExecute(Flow flow, FlowRun run) {
            return super.doExecute(flow, run).withWarning("cleaned up after the run");
        }

        /** Without serializing this test-only environment (it has no registered type). */
        @Override
        protected LaunchRequest launchRequest(Flow flow, FlowRun run) {
            return new LaunchRequest(run.id(), flow.name(), List.of("true"), Map.of(),
                    Labels.forRun(run.id(), flow.name()), run.id());
        }

        static final class Builder extends AbstractEnvironment.Builder<Builder> {
        }
    }

    @Test
    void aBrokenInstrumentationNeverChangesARun() {
        Instrumentation broken = new Instrumentation() {
            @Override
            public RunObservation runStarted(Flow f, FlowRun run, String environment, Map<String, String> parent) {
                return new RunObservation() {
                    @Override
                    public io.flowport.core.FlowRunListener listener() {
                        return new io.flowport.core.FlowRunListener() {
                            @Override
                            public void taskFinished(FlowRun r, io.flowport.core.TaskSpec t,
                                                     io.flowport.core.TaskRun o) {
                                throw new IllegalStateException("listener bug");
                            }
                        };
                    }

                    @Override
                    public void finished(FlowRunResult result) {
                        throw new IllegalStateException("finish bug");
                    }
                };
            }
        };
        TestEnvironment env = TestEnvironment.builder().instrumentation(Instrumentation.of(broken, recorder)).build();
        Flow local = Flow.builder("local").task("a", ctx -> 1).build();
        assertThat(env.execute(local, FlowRun.create()).isSuccess()).isTrue();
        // the second instrumentation still hears everything
        assertThat(recorder.events).containsExactly("start local on test parent={}", "task a SUCCESS x1",
                "end SUCCESS");
    }

    @Test
    void instrumentationsOnTheClassPathAreFoundAndNoneGivesNone() {
        assertThat(Instrumentation.discover(new ClassLoader(null) {
        })).isSameAs(Instrumentation.NONE);
        assertThat(Instrumentation.of()).isSameAs(Instrumentation.NONE);
        assertThat(Instrumentation.of(recorder)).isSameAs(recorder);
    }

    /** An in-process environment, just enough to exercise {@link AbstractEnvironment}. */
    static final class TestEnvironment extends AbstractEnvironment {
        private TestEnvironment(Builder b) {
            super(b);
        }

        static Builder builder() {
            return new Builder();
        }

        @Override
        public String type() {
            return "test";
        }

        @Override
        protected FlowRunResult doExecute(Flow flow, FlowRun run) {
            return executor().execute(flow, run);
        }

        static final class Builder extends AbstractEnvironment.Builder<Builder> {
            TestEnvironment build() {
                return new TestEnvironment(this);
            }
        }
    }
}
