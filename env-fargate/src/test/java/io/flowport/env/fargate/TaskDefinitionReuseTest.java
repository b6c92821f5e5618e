package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.flowport.core.spi.Definition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.Compatibility;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.TaskDefinition;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One registration per distinct definition: what ECS adds or reorders does not count as a change. */
class TaskDefinitionReuseTest extends WithLocalAws {

    private static final Flow FLOW = Flow.command("etl", CommandSpec.of("sh", "-c", "echo hi"));

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(8);
    }


    private static ContainerDefinition container(String image, boolean reversedEnv) {
        ContainerDefinition.Builder c = ContainerDefinition.builder().name("flow").image(image)
                .logConfiguration(LogConfiguration.awslogs(Fixtures.LOG_GROUP, null, "flowport"));
        if (reversedEnv) {
            c.env("B", "2").env("A", "1").secret("S2", "arn:aws:ssm:us-east-1:123456789012:parameter/b")
                    .secret("S1", "arn:aws:ssm:us-east-1:123456789012:parameter/a");
        } else {
            c.env("A", "1").env("B", "2").secret("S1", "arn:aws:ssm:us-east-1:123456789012:parameter/a")
                    .secret("S2", "arn:aws:ssm:us-east-1:123456789012:parameter/b");
        }
        return c.build();
    }

    private FargateTaskEnvironment.Builder settings(ContainerDefinition c) {
        return FargateTaskEnvironment.builder().regionName("us-east-1").systemEnvironment(Map.of())
                .endpointOverride(server.endpoint()).awsAccessKeyId("AKIDTEST").awsSecretAccessKey("s")
                .cluster("flows").cpu("1 vCPU").memory("2 GB").subnets(List.of("subnet-0123456789abcdef0"))
                .executionRoleArn(Fixtures.EXECUTION_ROLE).lifecycleSettings(Fixtures.fastLifecycle())
                .container(c);
    }

    @Test
    void anEqualDefinitionIsReusedAcrossProcessesDespiteWhatEcsAddsAndReorders() {
        env(settings(container("img:1", false))).setup(FLOW);
        assertThat(server.revisions("flowport-etl")).isEqualTo(1);
        JsonNode stored = server.revision("flowport-etl", 1);
        assertThat(stored.has("compatibilities")).isTrue();
        assertThat(stored.path("containerDefinitions").get(0).path("essential").asBoolean()).isTrue();

        // a fresh environment (as in another process) with the variables and secrets in another order
        FargateTaskEnvironment other = env(settings(container("img:1", true)));
        other.setup(FLOW);
        Definition d = other.backend().prepare(FLOW);
        assertThat(d.created()).isFalse();
        assertThat(d.id()).endsWith("task-definition/flowport-etl:1");
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);
        assertThat(server.calls("GetCallerIdentity")).isEqualTo(2); // once per environment object
    }

    @Test
    void aChangedDefinitionRegistersOneNewRevisionTaggedWithItsHash() {
        FargateTaskEnvironment first = env(settings(container("img:1", false)));
        first.setup(FLOW);
        FargateTaskEnvironment second = env(settings(container("img:2", false)));
        second.setup(FLOW);
        second.setup(FLOW);
        assertThat(server.revisions("flowport-etl")).isEqualTo(2);
        Definition d1 = first.backend().prepare(FLOW);
        Definition d2 = second.backend().prepare(FLOW);
        assertThat(d1.contentHash()).isNotEqualTo(d2.contentHash());
        assertThat(d2.id()).endsWith(":2");
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(2);
    }

    @Test
    void theDefaultFamilyFollowsEcsNamingRulesThroughCoresNames() {
        Flow odd = Flow.command("ETL: daily/v2 (eu)", CommandSpec.of("true"));
        FargateTaskEnvironment e = env(settings(container("img:1", false)));
        assertThat(e.familyFor(odd)).isEqualTo("flowport-ETL-daily-v2-eu");
        assertThat(e.familyFor(Flow.command("x".repeat(300), CommandSpec.of("true")))).hasSize(255);
        e.setup(odd);
        assertThat(server.revisions("flowport-ETL-daily-v2-eu")).isEqualTo(1);
    }

    @Test
    void concurrentSetupsOfFlowsSharingAFamilyRegisterOnce() throws Exception {
        FargateTaskEnvironment e = env(settings(container("img:1", false)).family("shared"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Flow f = Flow.command("flow-" + (i % 4), CommandSpec.of("true"));
                fs.add(CompletableFuture.runAsync(() -> e.setup(f), pool));
            }
            CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);
        assertThat(server.revisions("shared")).isEqualTo(1);
    }

    @Test
    void throttledRegistrationIsRetriedWithBackoffAndRegistersOnce() {
        String tooMany = "Too many concurrent attempts to create a new revision of the specified family.";
        server.inject("RegisterTaskDefinition", LocalAwsServer.Fault.error(400, "ClientException", tooMany),
                LocalAwsServer.Fault.error(400, "ClientException", tooMany), LocalAwsServer.Fault.throttle());
        env(settings(container("img:1", false))).setup(FLOW);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(4);
        assertThat(server.revisions("flowport-etl")).isEqualTo(1);
    }

    @Test
    void aRefusedRegistrationFailsWithTheAwsReasonAfterAFewAttempts() {
        // ECS answers ClientException for refusals and for concurrent registrations alike: a few attempts
        for (int i = 0; i < EcsBackend.REGISTER_ATTEMPTS; i++) {
            server.inject("RegisterTaskDefinition", LocalAwsServer.Fault.error(400, "ClientException",
                    "Fargate requires task definition to have execution role ARN to support log driver awslogs."));
        }
        FargateTaskEnvironment e = env(settings(container("img:1", false)));
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("RegisterTaskDefinition of family flowport-etl failed: ClientException: "
                        + "Fargate requires task definition to have execution role ARN");
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(EcsBackend.REGISTER_ATTEMPTS);
        assertThat(server.revisions("flowport-etl")).isZero();
    }

    @Test
    void aRevisionAnotherProcessRegisteredDuringAConflictIsReused() {
        FargateTaskEnvironment other = env(settings(container("img:1", false)));
        // ECS refuses our registration because another process registers the same definition at that moment
        server.inject("RegisterTaskDefinition", LocalAwsServer.Fault.error(400, "ClientException",
                "Too many concurrent attempts to create a new revision of the specified family.", () -> other.setup(FLOW)));
        FargateTaskEnvironment e = env(settings(container("img:1", false)));
        e.setup(FLOW);
        assertThat(server.revisions("flowport-etl")).isEqualTo(1);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(2); // ours (refused) and the other's
        assertThat(e.backend().prepare(FLOW).created()).isFalse();
    }

    @Test
    void roleNamesAreAcceptedAndAnUnchangedDefinitionGivenByNameIsReused() {
        FargateTaskEnvironment byName = env(settings(container("img:1", false))
                .executionRoleArn("ecsTaskExecutionRole").taskRoleArn("flow-runner"));
        byName.setup(FLOW);
        assertThat(server.revisions("flowport-etl")).isEqualTo(1);
        // ECS reports the ARN of a role given by name
        JsonNode stored = server.revision("flowport-etl", 1);
        assertThat(stored.path("taskRoleArn").asText()).isEqualTo("arn:aws:iam::123456789012:role/flow-runner");
        assertThat(stored.path("executionRoleArn").asText()).isEqualTo(Fixtures.EXECUTION_ROLE);

        // another process, the same roles by name, and one by ARN: the same definition, not registered again
        env(settings(container("img:1", false)).executionRoleArn("ecsTaskExecutionRole").taskRoleArn("flow-runner"))
                .setup(FLOW);
        env(settings(container("img:1", false)).executionRoleArn(Fixtures.EXECUTION_ROLE)
                .taskRoleArn("arn:aws:iam::123456789012:role/flow-runner")).setup(FLOW);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);

        // another role is another definition
        env(settings(container("img:1", false)).executionRoleArn("ecsTaskExecutionRole").taskRoleArn("other-role"))
                .setup(FLOW);
        assertThat(server.revisions("flowport-etl")).isEqualTo(2);
    }

    @Test
    void aRevisionRegisteredByAnotherToolWithRoleArnsIsReusedWhenTheEnvironmentNamesTheRoles() {
        // registered without Flowport's tags (Terraform, the console): only the normal form can match it
        try (EcsClient ecs = EcsClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTF", "s")))
                .build()) {
            var request = TaskDefinitions.request(settings(container("img:1", false))
                    .executionRoleArn(Fixtures.EXECUTION_ROLE).taskRoleArn("arn:aws:iam::123456789012:role/flow-runner")
                    .build(), "flowport-etl");
            ecs.registerTaskDefinition(request.build());
        }
        env(settings(container("img:1", false)).executionRoleArn("ecsTaskExecutionRole").taskRoleArn("flow-runner"))
                .setup(FLOW);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);
        assertThat(server.revisions("flowport-etl")).isEqualTo(1);
    }

    @Test
    void oldRevisionsAreDeregisteredOnlyOnRequest() {
        env(settings(container("img:1", false))).setup(FLOW);
        env(settings(container("img:2", false))).setup(FLOW);
        FargateTaskEnvironment latest = env(settings(container("img:3", false)));
        latest.setup(FLOW);
        assertThat(server.calls("DeregisterTaskDefinition")).isZero();
        List<String> gone = latest.deregisterOldRevisions(FLOW, 1);
        assertThat(gone).hasSize(2).allMatch(a -> a.endsWith(":1") || a.endsWith(":2"));
        assertThat(server.revision("flowport-etl", 3).path("status").asText()).isEqualTo("ACTIVE");
        assertThat(server.revision("flowport-etl", 1).path("status").asText()).isEqualTo("INACTIVE");
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode norm(SdkPojo definition) {
        return TaskDefinitions.normalise(definition, UnaryOperator.identity());
    }

    @Test
    void normalisationIgnoresWhatEcsAddsButNotRealDifferences() {
        RegisterTaskDefinitionRequest wanted = RegisterTaskDefinitionRequest.builder().family("f")
                .requiresCompatibilities(Compatibility.EC2)
                .containerDefinitions(software.amazon.awssdk.services.ecs.model.ContainerDefinition.builder()
                        .name("c").image("i").memory(512)
                        .environment(KeyValuePair.builder().name("A").value("1").build(),
                                KeyValuePair.builder().name("B").value("2").build()).build())
                .build();
        TaskDefinition described = TaskDefinition.builder().family("f").revision(7).status(TaskDefinitionStatus.ACTIVE)
                .taskDefinitionArn("arn:aws:ecs:us-east-1:123456789012:task-definition/f:7")
                .registeredAt(Instant.now()).registeredBy("arn:aws:iam::123456789012:user/x")
                .compatibilitiesWithStrings("EC2").requiresCompatibilities(Compatibility.EC2)
                .networkMode("bridge")
                .containerDefinitions(software.amazon.awssdk.services.ecs.model.ContainerDefinition.builder()
                        .name("c").image("i").memory(512).cpu(0).essential(true)
                        .environment(KeyValuePair.builder().name("B").value("2").build(),
                                KeyValuePair.builder().name("A").value("1").build())
                        .mountPoints(List.of()).portMappings(List.of()).build())
                .build();
        assertThat(norm(described)).isEqualTo(norm(wanted));
        assertThat(TaskDefinitions.hash(norm(described)))
                .isEqualTo(TaskDefinitions.hash(norm(wanted)));

        TaskDefinition withPorts = described.toBuilder().containerDefinitions(described.containerDefinitions().get(0)
                .toBuilder().portMappings(software.amazon.awssdk.services.ecs.model.PortMapping.builder().containerPort(80).build())
                .build()).build();
        assertThat(norm(withPorts)).isNotEqualTo(norm(wanted));
        TaskDefinition otherValue = described.toBuilder().containerDefinitions(described.containerDefinitions().get(0)
                .toBuilder().environment(KeyValuePair.builder().name("A").value("9").build(),
                        KeyValuePair.builder().name("B").value("2").build()).build()).build();
        assertThat(norm(otherValue)).isNotEqualTo(norm(wanted));
    }
}
