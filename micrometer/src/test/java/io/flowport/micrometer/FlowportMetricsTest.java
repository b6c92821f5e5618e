package io.flowport.micrometer;

import io.flowport.core.CommandSpec;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.ScriptedBackend;
import io.flowport.env.local.LocalEnvironment;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class FlowportMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void inProcessRunsCountByStateAndTimeTheirTasksAndRetries() {
        LocalEnvironment env = LocalEnvironment.builder().executor(Executor.parallel(2))
                .instrumentation(FlowportMetrics.create(registry, List.of(Tag.of("application", "billing"))))
                .build();
        AtomicInteger tries = new AtomicInteger();
        Flow flow = Flow.builder("etl")
                .task("extract").retries(2, Duration.ZERO).run(ctx -> {
                    if (tries.incrementAndGet() < 3) {
                        throw new IllegalStateException("busy");
                    }
                    Thread.sleep(20);
                    return 1;
                })
                .task("load").after("extract").run(ctx -> 2)
                .build();
        Flow failing = Flow.builder("broken").task("a", ctx -> {
            throw new IllegalArgumentException("no");
        }).task("b").after("a").run(ctx -> 1).build();

        assertThat(env.execute(flow, FlowRun.create()).isSuccess()).isTrue();
        assertThat(env.execute(flow, FlowRun.create()).isSuccess()).isTrue();
        assertThat(env.execute(failing, FlowRun.create()).state().type()).isEqualTo(StateType.FAILED);

        assertThat(registry.get(FlowportMetrics.RUNS).tags("environment", "local", "flow", "etl", "state", "Success",
                "application", "billing").timer().count()).isEqualTo(2);
        assertThat(registry.get(FlowportMetrics.RUNS).tags("flow", "broken", "state", "Failed").timer().count())
                .isEqualTo(1);
        assertThat(registry.get(FlowportMetrics.RUNS_ACTIVE).tag("environment", "local").gauge().value()).isZero();
        assertThat(registry.get(FlowportMetrics.TASKS).tags("flow", "etl", "state", "Success").timer().count())
                .isEqualTo(4);
        assertThat(registry.get(FlowportMetrics.TASKS).tags("flow", "etl", "state", "Success").timer()
                .max(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(19);
        assertThat(registry.get(FlowportMetrics.TASKS).tags("flow", "broken", "state", "Failed").timer().count())
                .isEqualTo(1);
        // a skipped task never ran: it is not timed
        assertThat(registry.find(FlowportMetrics.TASKS).tags("state", "Skipped").timer()).isNull();
        // the first run needed 2 retries, the second none (the counter of tries was past 3)
        assertThat(registry.get(FlowportMetrics.TASK_RETRIES).tag("flow", "etl").counter().count()).isEqualTo(2);
    }

    @Test
    void remoteRunsCountLaunchLatencyProviderCallsThrottlingAndRetries() throws Exception {
        ScriptedBackend backend = new ScriptedBackend("scripted").runFor(Duration.ofMillis(300))
                .throttleNextLaunches(2);
        Flow flow = Flow.command("remote", CommandSpec.of("true"));
        try (BackendLifecycle lifecycle = new BackendLifecycle(backend, BackendLifecycle.Settings.builder()
                .pollIntervals(Duration.ofMillis(20), Duration.ofMillis(50))
                .backoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(20))).build(),
                FlowportMetrics.create(registry), "scripted-env")) {
            FlowRun run = FlowRun.create();
            CompletableFuture<FlowRunResult> f = lifecycle.submit(flow, run, new LaunchRequest(run.id(), flow.name(),
                    List.of("true"), Map.of(), Labels.forRun(run.id(), flow.name()), run.id()));
            await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(registry.get(
                    FlowportMetrics.RUNS_ACTIVE).tag("environment", "scripted-env").gauge().value()).isEqualTo(1));
            assertThat(f.get(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        }
        assertThat(registry.get(FlowportMetrics.RUNS_ACTIVE).tag("environment", "scripted-env").gauge().value())
                .isZero();
        assertThat(registry.get(FlowportMetrics.RUNS).tags("environment", "scripted-env", "state", "Success")
                .timer().count()).isEqualTo(1);
        assertThat(registry.get(FlowportMetrics.PROVIDER_CALLS).tags("backend", "scripted", "operation", "launch",
                "outcome", FlowportMetrics.THROTTLED).timer().count()).isEqualTo(2);
        assertThat(registry.get(FlowportMetrics.PROVIDER_CALLS).tags("backend", "scripted", "operation", "launch",
                "outcome", FlowportMetrics.SUCCESS).timer().count()).isEqualTo(1);
        assertThat(registry.get(FlowportMetrics.PROVIDER_CALLS).tags("operation", "describe",
                "outcome", FlowportMetrics.SUCCESS).timer().count()).isGreaterThanOrEqualTo(2);
        assertThat(registry.get(FlowportMetrics.PROVIDER_CALLS).tags("operation", "prepare").timer().count())
                .isEqualTo(1);
        assertThat(registry.get(FlowportMetrics.PROVIDER_THROTTLED).tags("backend", "scripted", "operation", "launch")
                .counter().count()).isEqualTo(2);
        assertThat(registry.get(FlowportMetrics.PROVIDER_RETRIES).tags("backend", "scripted", "operation", "launch")
                .counter().count()).isEqualTo(2);
        assertThat(registry.get(FlowportMetrics.RUN_LAUNCH).tag("environment", "scripted-env").timer().count())
                .isEqualTo(1);
        // start-up (until the unit ran) includes the launch and the provisioning after it
        double launch = registry.get(FlowportMetrics.RUN_LAUNCH).timer().totalTime(TimeUnit.MILLISECONDS);
        double startup = registry.get(FlowportMetrics.RUN_STARTUP).timer().totalTime(TimeUnit.MILLISECONDS);
        assertThat(startup).isGreaterThan(launch);
    }
}
