package io.flowport.env.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunLogs;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The run's CloudWatch stream is followed while it runs and read whole once it ended. */
class CloudWatchLogsTest {

    private static final Flow FLOW = Flow.command("logs", CommandSpec.of("sh", "-c", "echo one; echo two; exit 0"));
    private LocalAwsServer server;
    private FargateTaskEnvironment env;

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(8);
        env = Fixtures.env(server).build();
    }

    @AfterEach
    void stop() {
        env.close();
        server.close();
    }

    private Launch launched(String runId) {
        EcsBackend backend = env.backend();
        return await().atMost(20, TimeUnit.SECONDS).until(() -> {
            var found = backend.find(Map.of(Labels.FLOW_RUN_ID, runId));
            return found.isEmpty() ? null : found.get(0).launch();
        }, l -> l != null);
    }

    @Test
    void logsOfARunningTaskAreFollowedPageByPage() throws Exception {
        server.logPageSize = 2;
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(FLOW, run);
        Launch launch = launched(run.id());
        server.start(launch.id());
        RunLogs logs = env.backend().logs(launch);
        assertThat(logs.lines()).isEmpty(); // the stream does not exist yet
        server.log(launch.id(), "starting");
        assertThat(logs.lines()).containsExactly("starting");
        for (int i = 1; i <= 5; i++) {
            server.log(launch.id(), "line " + i);
        }
        int before = server.calls("GetLogEvents");
        assertThat(logs.lines()).containsExactly("starting", "line 1", "line 2", "line 3", "line 4", "line 5");
        assertThat(server.calls("GetLogEvents") - before).isGreaterThanOrEqualTo(3); // paged by 2
        assertThat(logs.location()).contains(Fixtures.LOG_GROUP)
                .contains("flowport/flow/" + launch.id().substring(launch.id().lastIndexOf('/') + 1));
        server.log(launch.id(), "done\n");
        server.exit(launch.id(), 0);
        FlowRunResult r = result.get(20, TimeUnit.SECONDS);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.logs().lines()).containsExactly("starting", "line 1", "line 2", "line 3", "line 4", "line 5",
                "done");
        assertThat(r.logs()).isInstanceOf(CloudWatchRunLogs.class);
        assertThat(((CloudWatchRunLogs) r.logs()).stream()).startsWith("flowport/flow/");
    }

    @Test
    void theTailOfALongStreamIsOneCallFromTheEndHoldingOnlyTheLinesAskedFor() {
        CloudWatchLogsClient client = CloudWatchLogsClient.builder().endpointOverride(server.endpoint())
                .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("AKIDLOGS", "s"))).build();
        CloudWatchRunLogs logs = new CloudWatchRunLogs(client, Fixtures.LOG_GROUP, "big/flow/1", "us-east-1");
        for (int i = 1; i <= 50_000; i++) {
            server.appendLog(Fixtures.LOG_GROUP, "big/flow/1", "line " + i);
        }
        int before = server.calls("GetLogEvents");
        List<String> tail = logs.tail(50);
        assertThat(server.calls("GetLogEvents") - before).isEqualTo(1);
        assertThat(tail).hasSize(50).startsWith("line 49951").endsWith("line 50000");
        var read = server.logReads().get(server.logReads().size() - 1);
        assertThat(read.path("startFromHead").asBoolean(true)).isFalse();
        assertThat(read.path("limit").asInt()).isEqualTo(50);

        // pages backwards when CloudWatch answers with fewer events than asked (its 1 MB cap)
        server.logPageSize = 30;
        before = server.calls("GetLogEvents");
        assertThat(logs.tail(70)).hasSize(70).startsWith("line 49931").endsWith("line 50000");
        assertThat(server.calls("GetLogEvents") - before).isEqualTo(3);
        assertThat(logs.tail(0)).isEmpty();
        assertThat(new CloudWatchRunLogs(client, Fixtures.LOG_GROUP, "absent", null).tail(5)).isEmpty();
        client.close();
    }

    @Test
    void aFailedRunsTailIsTheEndOfItsStream() throws Exception {
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(20));
        StringBuilder script = new StringBuilder();
        for (int i = 1; i <= 200; i++) {
            script.append("echo step ").append(i).append("; ");
        }
        FlowRunResult r = env.submit(Flow.command("long", CommandSpec.of("sh", "-c", script + "exit 4")),
                FlowRun.create()).get(20, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(io.flowport.core.StateType.FAILED);
        assertThat(r.logs().tail(3)).containsExactly("step 198", "step 199", "step 200");
    }

    @Test
    void aFinishedRunGivesEveryLineTheContainerWrote() throws Exception {
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(20));
        FlowRunResult r = env.submit(FLOW, FlowRun.create()).get(20, TimeUnit.SECONDS);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.logs().lines()).containsExactly("one", "two");
    }

    @Test
    void withoutAwslogsThereAreNoLinesAndTheLocationSaysWhy() throws Exception {
        env.close();
        env = Fixtures.env(server).build();
        FargateTaskEnvironment plain = FargateTaskEnvironment.builder().regionName("us-east-1")
                .systemEnvironment(Map.of()).endpointOverride(server.endpoint()).awsAccessKeyId("A")
                .awsSecretAccessKey("S").cpu("256").memory("512").subnets(List.of("subnet-0123456789abcdef0"))
                .container(ContainerDefinition.of("flow", "img")).lifecycleSettings(Fixtures.fastLifecycle())
                .build();
        try {
            server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(20));
            FlowRunResult r = plain.submit(FLOW, FlowRun.create()).get(20, TimeUnit.SECONDS);
            assertThat(r.isSuccess()).isTrue();
            assertThat(r.logs().lines()).isEmpty();
            assertThat(r.logs().location()).contains("no awslogs log configuration");
            assertThat(server.calls("GetLogEvents")).isZero();
        } finally {
            plain.close();
        }
    }
}
