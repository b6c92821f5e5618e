package io.flowport.env.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.core.spi.BackendCleaner;
import io.flowport.core.spi.Labels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One user scenario, run against every ECS we can reach: the local test server here, LocalStack where Docker
 * (and a LocalStack licence for ECS) exists. Command flows so the image needs no JVM.
 */
abstract class FargateEndToEndScenario {

    static final String CLUSTER = "flowport-e2e";
    static final String LOG_GROUP = "/flowport/e2e";

    private FargateTaskEnvironment env;

    /** Endpoint, region and credentials of the ECS under test. */
    protected abstract FargateTaskEnvironment.Builder connected();

    /** The environment a user would write. */
    protected FargateTaskEnvironment environment() {
        if (env == null) {
            env = connected()
                    .cluster(CLUSTER).cpu("256").memory("512").family("flowport-e2e")
                    .subnets(java.util.List.of("subnet-0123456789abcdef0"))
                    .executionRoleArn("arn:aws:iam::000000000000:role/ecsTaskExecutionRole")
                    .container(ContainerDefinition.builder().name("flow").image("alpine:3.20")
                            .logConfiguration(LogConfiguration.awslogs(LOG_GROUP, null, "e2e")).build())
                    .build();
        }
        return env;
    }

    @AfterEach
    void closeEnvironment() {
        if (env != null) {
            env.close();
        }
    }

    private static Flow flow(String name, String script) {
        return Flow.command(name, CommandSpec.of("sh", "-c", script));
    }

    @Test
    void aCommandFlowSucceedsAndItsLogsAreReadBack() {
        FlowRunResult r = environment().execute(flow("hello", "echo hello from flowport; exit 0"), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs().lines()).contains("hello from flowport");
    }

    @Test
    void aFailingCommandFlowFailsWithItsExitCode() {
        FlowRunResult r = environment().execute(flow("fails", "echo boom; exit 3"), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("exited with code 3");
    }

    @Test
    void setupIsIdempotentAndFinishedTasksAreFoundButLeftToEcs() {
        Flow f = flow("again", "exit 0");
        environment().setup(f);
        environment().setup(f);
        EcsBackend backend = environment().backend();
        assertThat(backend.prepare(f).created()).isFalse();
        FlowRun run = FlowRun.create();
        assertThat(environment().execute(f, run).isSuccess()).isTrue();
        Map<String, String> labels = Map.of(Labels.FLOW_RUN_ID, run.id());
        assertThat(backend.find(labels)).singleElement().satisfies(found -> {
            assertThat(found.status().isFinished()).isTrue();
            assertThat(found.deletable()).isFalse(); // ECS removes stopped tasks by itself
        });
        // nothing to delete, from this process or any other: the TTL cleanup does nothing and says so
        assertThat(environment().deleteFinished(Duration.ZERO, Clock.systemUTC())).isEmpty();
        assertThat(BackendCleaner.deleteFinished(backend, labels, Duration.ZERO, Clock.systemUTC())).isEmpty();
        assertThat(backend.find(labels)).hasSize(1);
    }
}
