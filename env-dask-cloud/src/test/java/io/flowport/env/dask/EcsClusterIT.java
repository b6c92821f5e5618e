package io.flowport.env.dask;

import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import io.flowport.env.fargate.LocalAwsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code fargate} platform through the real ECS API path: the AWS SDK talks to env-fargate's local ECS server,
 * which runs each task's container command as a real process, so the tasks become a real Dask cluster with TLS.
 */
@ExtendWith(RequiresDask.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EcsClusterIT {

    private LocalAwsServer server;

    @BeforeEach
    void startEcs() throws Exception {
        server = new LocalAwsServer(8);
        server.autoRun(Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofMillis(50));
        server.runCommandsAsProcesses();
        System.setProperty("aws.accessKeyId", "AKIDDASK");
        System.setProperty("aws.secretAccessKey", "dask-secret");
    }

    @AfterEach
    void nothingLeft() {
        try {
            await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> {
                assertThat(DaskProcesses.all()).as("Dask processes").isEmpty();
                assertThat(server.tasks()).as("ECS tasks").allSatisfy(t ->
                        assertThat(t.lastStatus()).as(t.arn()).isEqualTo("STOPPED"));
            });
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
            server.close();
        }
    }

    private DaskCloudProviderEnvironment.Builder env() throws IOException {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("image", "ghcr.io/dask/dask:2022.12.1");
        settings.put("regionName", "us-east-1");
        settings.put("endpointOverride", server.endpoint().toString());
        settings.put("cluster", "dask");
        settings.put("subnets", List.of("subnet-0123456789abcdef0"));
        settings.put("securityGroups", List.of("sg-0123456789abcdef0"));
        settings.put("executionRoleArn", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole");
        settings.put("pythonExecutable", DaskExecutor.DEFAULT_PYTHON);
        settings.put("schedulerPort", freePort());
        settings.put("dashboardPort", freePort());
        settings.put("statusPollInterval", "PT0.1S");
        settings.put("nWorkers", 2);
        settings.put("tags", Map.of("team", "data"));
        return DaskCloudProviderEnvironment.builder().providerClass("fargate").providerSettings(settings)
                .driver("local");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void commandTasksComputeOnAClusterStartedThroughTheEcsApiAndEveryTaskIsStopped() throws Exception {
        DaskCloudProviderEnvironment env = env().build();
        FlowRunResult r = env.execute(LocalClusterIT.squares(8), FlowRun.builder().parameter("rows", 8).build());
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        assertThat(r.result("sum")).contains(140);
        String cluster = r.detail("dask.cluster").orElseThrow().toString();

        assertThat(server.calls("RegisterTaskDefinition")).as("one definition per role").isEqualTo(2);
        assertThat(server.calls("RunTask")).as("scheduler and 2 workers").isEqualTo(3);
        assertThat(server.tasks()).hasSize(3).allSatisfy(t -> {
            assertThat(t.tags()).containsEntry(Labels.FLOW_NAME, "dask-" + cluster).containsEntry("team", "data")
                    .containsEntry(Labels.MANAGED_BY, "flowport");
            assertThat(t.launchType()).isEqualTo("FARGATE");
            assertThat(t.environment()).containsKey("DASK_DISTRIBUTED__COMM__TLS__CA_FILE")
                    .containsEntry("DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION", "True");
            assertThat(t.request().path("networkConfiguration").path("awsvpcConfiguration")
                    .path("assignPublicIp").asText()).isEqualTo("DISABLED");
        });
        assertThat(server.tasks()).filteredOn(t -> t.command().contains("distributed.cli.dask_scheduler"))
                .singleElement().satisfies(t -> {
                    assertThat(t.cpu()).isEqualTo("1024");
                    assertThat(t.memory()).isEqualTo("4096");
                });
        assertThat(server.tasks()).filteredOn(t -> t.command().contains("distributed.cli.dask_worker"))
                .hasSize(2).allSatisfy(t -> assertThat(t.memory()).isEqualTo("16384"));

        FlowRunResult again = env.execute(LocalClusterIT.squares(4), FlowRun.builder().parameter("rows", 4).build());
        assertThat(again.isSuccess()).isTrue();
        assertThat(server.calls("RegisterTaskDefinition")).as("definitions reused").isEqualTo(2);
    }

    @Test
    void lostAnswersAndThrottlingNeverStartASecondWorker() throws Exception {
        server.inject("RunTask", LocalAwsServer.Fault.loseAnswer(), LocalAwsServer.Fault.throttle(),
                LocalAwsServer.Fault.loseAnswer());
        FlowRunResult r = env().build().execute(LocalClusterIT.squares(3), FlowRun.builder().parameter("rows", 3)
                .build());
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        assertThat(server.calls("RunTask")).isGreaterThan(3);
        assertThat(server.tasks()).as("one task per process").hasSize(3);
    }

    @Test
    void aFailingFlowStillStopsEveryTask() throws Exception {
        Flow flow = Flow.builder("fails").task("bad", new CommandTask(CommandSpec.of("sh", "-c", "exit 3"))).build();
        FlowRunResult r = env().build().execute(flow, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(server.tasks()).hasSize(3);
    }

    @Test
    void aDriverKilledWithSigkillLeavesNoTaskRunning() throws Exception {
        Process child = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), ChildDriver.class.getName(), "ecs",
                server.endpoint().toString(), Integer.toString(freePort()), Integer.toString(freePort()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            TeardownIT.awaitRunning(child);
            assertThat(server.tasks()).filteredOn(t -> !t.lastStatus().equals("STOPPED")).hasSize(3);
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            // nobody stops the tasks: the scheduler closes after its idle timeout, the workers after it
            await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> assertThat(server.tasks())
                    .allSatisfy(t -> assertThat(t.lastStatus()).as("%s: %s", t.arn(), String.join("\n",
                            t.output())).isEqualTo("STOPPED")));
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void byDefaultTheDriverRunsAsATaskInTheClustersNetworkAndTheCallerOnlyFollowsIt() throws Exception {
        Map<String, Object> driver = new LinkedHashMap<>();
        driver.put("driverImage", "123456789012.dkr.ecr.us-east-1.amazonaws.com/flows:1");
        // the image's runner, here: this test's own class path on this machine
        java.nio.file.Path runner = java.nio.file.Files.createTempFile("flowport-runner", ".sh");
        java.nio.file.Files.writeString(runner, "exec '" + java.nio.file.Path.of(System.getProperty("java.home"),
                "bin", "java") + "' -cp '" + System.getProperty("java.class.path") + "' io.flowport.core.Runner\n");
        driver.put("driverCommand", List.of("sh", runner.toString()));
        // what the task role gives a real driver task
        driver.put("environment", Map.of("AWS_ACCESS_KEY_ID", "AKIDDASK", "AWS_SECRET_ACCESS_KEY", "dask-secret"));
        DaskCloudProviderEnvironment env = env().driver(null).providerSettings(driver).build();
        assertThat(env.driver()).isNull();

        FlowRunResult r = env.execute(LocalClusterIT.squares(6), FlowRun.builder().parameter("rows", 6).build());

        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        assertThat(r.detail("dask.driver")).contains("in-cluster");
        List<LocalAwsServer.SimTask> tasks = server.tasks();
        assertThat(tasks).as("driver, scheduler and 2 workers").hasSize(4);
        LocalAwsServer.SimTask driverTask = tasks.stream()
                .filter(t -> t.request().path("taskDefinition").asText().contains("flowport-dask-driver"))
                .findFirst().orElseThrow();
        assertThat(driverTask.command()).containsExactly("sh", driver.get("driverCommand") instanceof List<?> l
                ? l.get(1).toString() : "");
        assertThat(driverTask.environment()).containsKey("FLOWPORT__ENVIRONMENT").containsKey("FLOWPORT__PARAMETERS");
        assertThat(driverTask.environment().get("FLOWPORT__ENVIRONMENT")).contains("\"driver\":\"local\"")
                .doesNotContain("BEGIN");
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(String.join("\n", driverTask.output()))
                .contains("\"event\":\"flowport.result\"").contains("\"state\":\"Success\",\"message\":\"7 tasks succeeded\""));
    }
}
