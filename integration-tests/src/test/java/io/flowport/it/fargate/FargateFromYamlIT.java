package io.flowport.it.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Environment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import io.flowport.env.fargate.FargateTaskEnvironment;
import io.flowport.env.fargate.LocalAwsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * As a user or an agent would: a {@code fargate-task} environment read from YAML (no credentials in it; they come
 * from the SDK's default chain), run against the local ECS/STS/CloudWatch Logs server of flowport-env-fargate.
 */
class FargateFromYamlIT {

    private LocalAwsServer server;

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(8);
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofMillis(50));
        // the first source of the SDK's default credential chain
        System.setProperty("aws.accessKeyId", "AKIDINTEGRATION");
        System.setProperty("aws.secretAccessKey", "integration-secret");
    }

    @AfterEach
    void stop() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        server.close();
    }

    @Test
    void anEnvironmentReadFromYamlRunsACommandFlowAndReadsItsLogs() {
        String yaml = """
                type: fargate-task
                regionName: us-east-1
                endpointOverride: %s
                cluster: integration
                cpu: "512"
                memory: "1024"
                subnets: [subnet-0123456789abcdef0]
                executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
                containerDefinitions:
                  - name: flow
                    image: alpine:3.20
                    logConfiguration:
                      logDriver: awslogs
                      options: {awslogs-group: /flowport/it, awslogs-stream-prefix: it}
                labels: [aws]
                """.formatted(server.endpoint());
        Environment read = Serialization.environmentFromYaml(yaml);
        assertThat(read).isInstanceOf(FargateTaskEnvironment.class);
        try (FargateTaskEnvironment env = (FargateTaskEnvironment) read) {
            Flow flow = Flow.command("it-hello", CommandSpec.of("sh", "-c", "echo hello integration; exit 0"));
            FlowRunResult ok = env.execute(flow, FlowRun.create());
            assertThat(ok.state().type()).isEqualTo(StateType.SUCCESS);
            assertThat(ok.logs().lines()).containsExactly("hello integration");

            Flow failing = Flow.command("it-fail", CommandSpec.of("sh", "-c", "exit 4"));
            FlowRunResult failed = env.execute(failing, FlowRun.create());
            assertThat(failed.state().type()).isEqualTo(StateType.FAILED);
            assertThat(failed.state().message()).contains("exited with code 4");
        }
        assertThat(server.keysUsedFor("RunTask")).containsExactly("AKIDINTEGRATION");
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(2); // one family per flow
    }
}
