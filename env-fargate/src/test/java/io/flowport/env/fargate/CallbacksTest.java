package io.flowport.env.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** onStart runs before anything exists on ECS; onExit always runs. Counted on the local ECS server. */
class CallbacksTest extends WithLocalAws {

    private static final Flow FLOW = Flow.command("callbacks", CommandSpec.of("sh", "-c", "echo hi; exit 0"));

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(8);
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(20));
    }

    @Test
    void whenOnStartThrowsNothingIsCreatedOnEcsAndOnExitStillRuns() {
        AtomicReference<FlowRunResult> seenByOnExit = new AtomicReference<>();
        FargateTaskEnvironment e = env(Fixtures.env(server)
                .onStart(info -> {
                    throw new IllegalStateException("no budget for " + info.flow().name() + " today");
                })
                .onExit((info, result) -> seenByOnExit.set(result)));
        FlowRunResult r = e.execute(FLOW, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("no budget for callbacks today");
        assertThat(seenByOnExit.get()).isNotNull();
        for (String op : List.of("RegisterTaskDefinition", "RunTask", "DescribeTaskDefinition", "GetCallerIdentity",
                "DescribeTasks")) {
            assertThat(server.calls(op)).as(op).isZero();
        }
        assertThat(server.tasks()).isEmpty();
    }

    @Test
    void whenOnStartSucceedsTheRunGoesAndBothCallbacksRunOnce() {
        int[] starts = {0};
        int[] exits = {0};
        FargateTaskEnvironment e = env(Fixtures.env(server).onStart(info -> starts[0]++)
                .onExit((info, result) -> exits[0]++));
        assertThat(e.execute(FLOW, FlowRun.create()).isSuccess()).isTrue();
        assertThat(starts[0]).isEqualTo(1);
        assertThat(exits[0]).isEqualTo(1);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);
        assertThat(server.calls("RunTask")).isEqualTo(1);
    }
}
