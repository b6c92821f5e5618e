package io.flowport.env.local;

import io.flowport.core.CancellationToken;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.ProviderNotFoundException;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** LocalEnvironment, and the callback rules every environment shares (they live in AbstractEnvironment). */
class LocalEnvironmentTest {

    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger taskRuns = new AtomicInteger();
    private final Flow ok = Flow.builder("ok").task("t", ctx -> {
        events.add("task");
        taskRuns.incrementAndGet();
        return 1;
    }).build();
    private final Flow failing = Flow.builder("failing").task("t", ctx -> {
        events.add("task");
        throw new IllegalStateException("bad data");
    }).build();

    private LocalEnvironment.Builder withCallbacks() {
        return LocalEnvironment.builder()
                .onStart(run -> events.add("start:" + run.flow().name()))
                .onExit((run, result) -> events.add("exit:" + result.state().type()));
    }

    @Test
    void runsTheFlowBetweenTheCallbacks() {
        FlowRunResult r = withCallbacks().build().execute(ok, FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        assertThat(events).containsExactly("start:ok", "task", "exit:" + StateType.SUCCESS);
    }

    @Test
    void aFailingOnStartFailsTheRunRunsNothingAndStillCallsOnExit() {
        Environment env = LocalEnvironment.builder()
                .onStart(run -> {
                    throw new IllegalStateException("no quota today");
                })
                .onExit((run, result) -> events.add("exit:" + result.state()))
                .build();
        FlowRunResult r = env.execute(ok, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).isEqualTo(
                "onStart callback failed: java.lang.IllegalStateException: no quota today");
        assertThat(taskRuns).hasValue(0);
        assertThat(events).containsExactly("exit:" + r.state());
    }

    @Test
    void anErrorInTheRunStillRunsOnExitAndReachesTheCaller() {
        Executor outOfMemory = (flow, run) -> {
            throw new OutOfMemoryError("test: heap exhausted");
        };
        Environment env = withCallbacks().executor(outOfMemory).build();
        assertThatThrownBy(() -> env.execute(ok, FlowRun.create()))
                .isInstanceOf(OutOfMemoryError.class).hasMessage("test: heap exhausted");
        assertThat(events).containsExactly("start:ok", "exit:" + StateType.CRASHED);
    }

    @Test
    void anErrorInOnStartStillRunsOnExitAndReachesTheCaller() {
        Environment env = LocalEnvironment.builder()
                .onStart(run -> {
                    throw new AssertionError("precondition broken");
                })
                .onExit((run, result) -> events.add("exit:" + result.state().type()))
                .build();
        assertThatThrownBy(() -> env.execute(ok, FlowRun.create()))
                .isInstanceOf(AssertionError.class).hasMessage("precondition broken");
        assertThat(taskRuns).hasValue(0);
        assertThat(events).containsExactly("exit:" + StateType.FAILED);
    }

    @Test
    void onExitRunsAfterAFailedRun() {
        FlowRunResult r = withCallbacks().build().execute(failing, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(events).containsExactly("start:failing", "task", "exit:" + StateType.FAILED);
    }

    @Test
    void onExitRunsAfterACancelledRun() {
        CancellationToken token = new CancellationToken();
        token.cancel("cancelled before it began");
        FlowRunResult r = withCallbacks().build().execute(ok, FlowRun.builder().cancellation(token).build());
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(events).containsExactly("start:ok", "exit:" + StateType.CANCELLED);
    }

    @Test
    void aFailingOnExitIsRecordedButDoesNotChangeTheState() {
        Environment env = LocalEnvironment.builder()
                .onExit((run, result) -> {
                    throw new RuntimeException("notifier down");
                })
                .build();
        FlowRunResult r = env.execute(ok, FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.warnings()).containsExactly("onExit callback failed: java.lang.RuntimeException: notifier down");
    }

    @Test
    void badParametersAreRejectedBeforeAnyCallback() {
        Flow flow = Flow.builder("p").requiredParameter("n", Integer.class).task("t", ctx -> null).build();
        assertThatThrownBy(() -> withCallbacks().build().execute(flow, FlowRun.create()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("missing required parameter 'n'");
        assertThat(events).isEmpty();
    }

    @Test
    void serializesWithoutCallbacksAndReadsBack() {
        LocalEnvironment env = withCallbacks()
                .executor(Executor.parallel(3))
                .labels("etl", "eu")
                .metadata(Map.of("job_profile", "large"))
                .build();
        String json = Serialization.toJson(env);
        assertThat(json).isEqualTo("{\"type\":\"local\",\"labels\":[\"etl\",\"eu\"],\"metadata\":{\"job_profile\":"
                + "\"large\"},\"executor\":{\"type\":\"parallel\",\"threads\":3}}");
        Environment back = Serialization.environmentFromJson(json);
        assertThat(back).isInstanceOf(LocalEnvironment.class);
        assertThat(back.executor()).isEqualTo(Executor.parallel(3));
        assertThat(back.labels()).containsExactly("etl", "eu");
        assertThat(back.metadata()).containsEntry("job_profile", "large");
        assertThat(Serialization.environmentFromYaml("type: local\nexecutor: {type: sequential}\n").executor())
                .isEqualTo(Executor.sequential());
    }

    @Test
    void theReferenceConstructorTakesNulls() {
        LocalEnvironment env = new LocalEnvironment(null, null, null, null, null);
        assertThat(env.labels()).isEmpty();
        assertThat(env.execute(ok, FlowRun.create()).isSuccess()).isTrue();
    }

    @Test
    void unknownTypesAndFieldsGiveClearErrors() {
        assertThatThrownBy(() -> Serialization.environmentFromJson("{\"type\":\"kubernetes-job\"}"))
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("unknown environment type 'kubernetes-job'")
                .hasMessageContaining("local, local-process")
                .hasMessageContaining("add the dependency io.flowport:flowport-env-kubernetes");
        assertThatThrownBy(() -> Serialization.environmentFromJson("{\"type\":\"lokal\"}"))
                .hasMessageContaining("check the spelling");
        assertThatThrownBy(() -> Serialization.environmentFromJson("{\"type\":\"local\",\"executer\":{}}"))
                .hasMessage("unknown setting `executer` in a `local` environment: did you mean `executor`? Known "
                        + "settings: executor, labels, metadata");
        assertThatThrownBy(() -> Serialization.environmentFromJson(
                "{\"type\":\"local\",\"executor\":{\"type\":\"parallel\",\"threads\":-1}}"))
                .hasMessageContaining("ParallelExecutor.threads must be >= 0");
    }
}
