package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The task definition and RunTask fields without a typed setting (volumes, ephemeral storage, port mappings,
 * health checks, dependsOn, linuxParameters, FireLens, RunTask options), given with their ECS API names.
 */
class TaskDefinitionSettingsTest extends WithLocalAws {

    private static final Flow FLOW = Flow.command("web", CommandSpec.of("sh", "-c", "echo up; exit 0"));
    private static final String EFS = "fs-0123456789abcdef0";

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(8);
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(20));
    }

    /** What a user running a web server next to the flow, with a log router, shared storage and a health check, writes. */
    private FargateTaskEnvironment.Builder settings(int healthInterval, String efsRoot) {
        return Fixtures.env(server)
                .taskDefinition(Map.of(
                        "volumes", List.of(
                                Map.of("name", "shared", "efsVolumeConfiguration", Map.of("fileSystemId", EFS,
                                        "rootDirectory", efsRoot, "transitEncryption", "ENABLED")),
                                Map.of("name", "scratch", "host", Map.of())),
                        "ephemeralStorage", Map.of("sizeInGiB", 50)))
                .runTaskRequest(Map.of("enableExecuteCommand", true, "group", "family:web"))
                .containerDefinitions(List.of(
                        ContainerDefinition.builder().name("web").image("example/web:1")
                                .logConfiguration(LogConfiguration.awslogs(Fixtures.LOG_GROUP, null, "web"))
                                .ecsField("portMappings", List.of(Map.of("containerPort", 8080)))
                                .ecsField("healthCheck", Map.of("command",
                                        List.of("CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"),
                                        "interval", healthInterval))
                                .ecsField("dependsOn", List.of(Map.of("containerName", "log-router",
                                        "condition", "START")))
                                .ecsField("linuxParameters", Map.of("initProcessEnabled", true))
                                .ecsField("mountPoints", List.of(
                                        Map.of("sourceVolume", "shared", "containerPath", "/mnt/shared"),
                                        Map.of("sourceVolume", "scratch", "containerPath", "/tmp/scratch")))
                                .build(),
                        ContainerDefinition.builder().name("log-router").image("public.ecr.aws/aws-observability/"
                                        + "aws-for-fluent-bit:stable").essential(false)
                                .ecsField("firelensConfiguration", Map.of("type", "fluentbit"))
                                .build(),
                        ContainerDefinition.builder().name("proxy").image("example/proxy:1").essential(false)
                                .logConfiguration(new LogConfiguration("awsfirelens", Map.of("Name", "cloudwatch")))
                                .build()));
    }

    /** The fixture's environment (its container {@code flow} runs the flow) with the settings above. */
    private FargateTaskEnvironment env(int healthInterval, String efsRoot) {
        FargateTaskEnvironment.Builder b = settings(healthInterval, efsRoot);
        return env(b);
    }

    @Test
    void theSettingsUsersReachForReachRegisterTaskDefinitionAndRunTask() throws Exception {
        FargateTaskEnvironment e = env(30, "/flows");
        FlowRunResult r = e.submit(FLOW, FlowRun.create()).get(30, TimeUnit.SECONDS);
        assertThat(r.isSuccess()).isTrue();

        JsonNode d = server.revision("flowport-web", 1);
        assertThat(d.path("volumes").get(0).path("efsVolumeConfiguration").path("fileSystemId").asText())
                .isEqualTo(EFS);
        assertThat(d.path("volumes").get(1).path("name").asText()).isEqualTo("scratch");
        assertThat(d.path("ephemeralStorage").path("sizeInGiB").asInt()).isEqualTo(50);
        // the fixture's container comes first, then the three given here
        JsonNode web = d.path("containerDefinitions").get(1);
        assertThat(web.path("portMappings").get(0).path("containerPort").asInt()).isEqualTo(8080);
        assertThat(web.path("healthCheck").path("command").get(0).asText()).isEqualTo("CMD-SHELL");
        assertThat(web.path("dependsOn").get(0).path("condition").asText()).isEqualTo("START");
        assertThat(web.path("linuxParameters").path("initProcessEnabled").asBoolean()).isTrue();
        assertThat(web.path("mountPoints")).hasSize(2);
        assertThat(d.path("containerDefinitions").get(2).path("firelensConfiguration").path("type").asText())
                .isEqualTo("fluentbit");
        assertThat(d.path("containerDefinitions").get(3).path("logConfiguration").path("logDriver").asText())
                .isEqualTo("awsfirelens");

        JsonNode run = server.tasks().get(0).request();
        assertThat(run.path("enableExecuteCommand").asBoolean()).isTrue();
        assertThat(run.path("group").asText()).isEqualTo("family:web");
        assertThat(run.path("startedBy").asText()).isNotEmpty(); // Flowport's own fields are still there
        assertThat(run.path("clientToken").asText()).isNotEmpty();
    }

    @Test
    void anUnchangedDefinitionIsReusedDespiteEcsDefaultsAndAnyChangeRegistersANewRevision() {
        env(30, "/flows").setup(FLOW);
        // ECS filled in protocol/hostPort and the health check's timeout and retries
        JsonNode web = server.revision("flowport-web", 1).path("containerDefinitions").get(1);
        assertThat(web.path("portMappings").get(0).path("protocol").asText()).isEqualTo("tcp");
        assertThat(web.path("healthCheck").path("retries").asInt()).isEqualTo(3);

        env(30, "/flows").setup(FLOW); // another process, the same settings
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);

        env(60, "/flows").setup(FLOW); // a container field changed
        assertThat(server.revisions("flowport-web")).isEqualTo(2);
        env(60, "/data").setup(FLOW); // a task definition field changed
        assertThat(server.revisions("flowport-web")).isEqualTo(3);
        env(60, "/data").setup(FLOW);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(3);
        assertThat(server.revision("flowport-web", 3).path("volumes").get(0).path("efsVolumeConfiguration")
                .path("rootDirectory").asText()).isEqualTo("/data");
    }

    @Test
    void everyBadFieldIsNamedAtOnceBeforeAnyAwsCall() {
        FargateTaskEnvironment e = env(Fixtures.env(server)
                .taskDefinition(Map.of(
                        "volumes", List.of(Map.of("name", "shared", "efsVolumeConfiguration", Map.of()),
                                Map.of("name", "data", "host", Map.of("sourcePath", "/var/data"))),
                        "ephemeralStorage", Map.of("sizeInGiB", 500),
                        "cpu", "1024",
                        "pidMode", "everything",
                        "volumez", List.of()))
                .runTaskRequest(Map.of("cluster", "other", "enableExecCommand", true, "group", List.of("x")))
                .container(ContainerDefinition.builder().name("sidecar").image("example/side:1")
                        .ecsField("portMapings", List.of())
                        .ecsField("mountPoints", List.of(Map.of("sourceVolume", "missing", "containerPath", "/m")))
                        .ecsField("dependsOn", List.of(Map.of("containerName", "ghost", "condition", "START"),
                                Map.of("containerName", "flow", "condition", "READY")))
                        .ecsField("healthCheck", Map.of("command", List.of("curl localhost"), "interval", 1))
                        .ecsField("linuxParameters", Map.of("devices", List.of(), "initProcessEnabled", "yes"))
                        .ecsField("image", "other/image")
                        .build()));
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(ConfigurationException.class)
                .satisfies(t -> assertThat(((ConfigurationException) t).problems()).contains(
                        "taskDefinition.cpu: set cpu instead",
                        "taskDefinition.volumez: not a field of 'taskDefinition'; did you mean volumes? (keys as in "
                                + "the ECS API reference)",
                        "taskDefinition.pidMode: 'everything' is not one of host, task",
                        "taskDefinition.volumes[0].efsVolumeConfiguration.fileSystemId: missing; give the EFS file "
                                + "system id (fs-...)",
                        "taskDefinition.volumes[1].host.sourcePath: Fargate has no host paths; remove host (a "
                                + "task-scoped bind mount) or use efsVolumeConfiguration",
                        "taskDefinition.ephemeralStorage.sizeInGiB: Fargate takes 21 to 200 GiB, was 500",
                        "runTaskRequest.cluster: set cluster instead",
                        "runTaskRequest.enableExecCommand: not a field of 'runTaskRequest'; did you mean "
                                + "enableExecuteCommand? (keys as in the ECS API reference)",
                        "runTaskRequest.group: expected a string, was a list",
                        "containerDefinitions[1].image: a typed setting of the container; set it with image(...) "
                                + "instead",
                        "containerDefinitions[1].portMapings: not a field of 'containerDefinitions'; did you mean "
                                + "portMappings? (keys as in the ECS API reference)",
                        "containerDefinitions[1].linuxParameters.initProcessEnabled: expected true or false, was a "
                                + "string \"yes\"",
                        "containerDefinitions[1].linuxParameters.devices: not supported on Fargate",
                        "containerDefinitions[1].mountPoints[0].sourceVolume: 'missing' is not a volume of the task; "
                                + "declare it in taskDefinition.volumes",
                        "containerDefinitions[1].dependsOn[0].containerName: 'ghost' is not another container of the "
                                + "task",
                        "containerDefinitions[1].dependsOn[1].condition: 'READY' is not one of COMPLETE, HEALTHY, "
                                + "START, SUCCESS",
                        "containerDefinitions[1].healthCheck.interval: must be 5 to 300, was 1"))
                .satisfies(t -> assertThat(((ConfigurationException) t).problems()).anySatisfy(p ->
                        assertThat(p).startsWith("containerDefinitions[1].healthCheck.command: start with CMD")));
        assertThat(server.calls("GetCallerIdentity") + server.calls("DescribeTaskDefinition")
                + server.calls("RegisterTaskDefinition") + server.calls("RunTask")).isZero();
    }

    @Test
    void theFieldsRoundTripThroughYamlAndJsonWithTheirEcsNames() {
        String yaml = """
                type: fargate-task
                regionName: eu-west-1
                cpu: "1024"
                memory: "2048"
                subnets: [subnet-0123456789abcdef0]
                executionRoleArn: ecsTaskExecutionRole
                taskDefinition:
                  ephemeralStorage: {sizeInGiB: 40}
                  volumes:
                    - name: shared
                      efsVolumeConfiguration: {fileSystemId: fs-0123456789abcdef0}
                runTaskRequest:
                  enableExecuteCommand: true
                containerDefinitions:
                  - name: flow
                    image: example/flows:1
                    portMappings: [{containerPort: 8080}]
                    linuxParameters: {initProcessEnabled: true}
                    mountPoints: [{sourceVolume: shared, containerPath: /mnt/shared}]
                """;
        FargateTaskEnvironment read = (FargateTaskEnvironment) Serialization.environmentFromYaml(yaml);
        assertThat(FargateValidation.problems(read, FLOW)).isEmpty();
        assertThat(read.taskDefinition()).containsKeys("ephemeralStorage", "volumes");
        assertThat(read.runTaskRequest()).containsEntry("enableExecuteCommand", true);
        assertThat(read.containerDefinitions().get(0).ecsFields()).containsKeys("portMappings", "linuxParameters",
                "mountPoints");
        String json = Serialization.toJson(read);
        assertThat(json).contains("\"portMappings\":[{\"containerPort\":8080}]")
                .contains("\"taskDefinition\":{").contains("\"runTaskRequest\":{\"enableExecuteCommand\":true}");
        FargateTaskEnvironment again = (FargateTaskEnvironment) Serialization.environmentFromJson(json);
        assertThat(again.containerDefinitions()).isEqualTo(read.containerDefinitions());
        assertThat(again.taskDefinition()).isEqualTo(read.taskDefinition());
        assertThat(Serialization.toJson(again)).isEqualTo(json);
    }
}
