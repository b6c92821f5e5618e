package io.flowport.env.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Every bad input is reported before any AWS call, naming the field and the fix. */
class FargateValidationTest {

    private static final Flow FLOW = Flow.command("etl", CommandSpec.of("sh", "-c", "echo hi"));

    private static ContainerDefinition.Builder flowContainer() {
        return ContainerDefinition.builder().name("flow").image("example/flows:1");
    }

    private static Arguments bad(String description, UnaryOperator<FargateTaskEnvironment.Builder> change,
                                 String expected) {
        return arguments(description, change, expected);
    }

    /** The fixture's settings without its network (subnets, security groups) and with this container. */
    private static FargateTaskEnvironment.Builder withoutNetwork(ContainerDefinition c) {
        return FargateTaskEnvironment.builder().regionName("us-east-1").systemEnvironment(Map.of()).cluster("flows")
                .cpu("256").memory("512").executionRoleArn(Fixtures.EXECUTION_ROLE).container(c);
    }

    private static FargateTaskEnvironment.Builder withContainer(FargateTaskEnvironment.Builder b,
                                                                ContainerDefinition c) {
        FargateTaskEnvironment base = b.build();
        // replace the fixture's container: rebuild without it
        FargateTaskEnvironment.Builder nb = FargateTaskEnvironment.builder().regionName(base.regionName())
                .systemEnvironment(Map.of()).cluster(base.cluster()).cpu(base.cpu()).memory(base.memory())
                .subnets(base.subnets()).securityGroups(base.securityGroups())
                .executionRoleArn(base.executionRoleArn());
        return c == null ? nb : nb.container(c);
    }

    static Stream<Arguments> badSettings() {
        return Stream.of(
                bad("unknown launch type", b -> b.launchType("EXTERNAL"),
                        "launchType: unknown launch type 'EXTERNAL'; use FARGATE or EC2"),
                bad("secret without key id", b -> b.awsSecretAccessKey("s"),
                        "awsSecretAccessKey: given without awsAccessKeyId"),
                bad("key id without secret", b -> b.awsAccessKeyId("AKID"),
                        "awsAccessKeyId: given without awsSecretAccessKey"),
                bad("session token alone", b -> b.awsSessionToken("t"),
                        "awsSessionToken: only valid with awsAccessKeyId and awsSecretAccessKey"),
                bad("keys and a provider", b -> b.awsAccessKeyId("A").awsSecretAccessKey("S")
                                .credentialsProvider(() -> null),
                        "credentialsProvider: set either explicit keys or a credentials provider"),
                bad("no region", b -> b.regionName(null),
                        "regionName: no AWS region; set regionName, or the REGION_NAME or AWS_REGION"),
                bad("malformed region", b -> b.regionName("Ireland"),
                        "regionName: 'Ireland' is not an AWS region name"),
                bad("relative endpoint", b -> b.endpointOverride(URI.create("localhost:4566")),
                        "endpointOverride: 'localhost:4566' is not an absolute http(s) URL"),
                bad("bad family", b -> b.family("my family!"),
                        "family: 'my family!' is not a valid task definition family"),
                bad("fargate without cpu", b -> b.cpu(null),
                        "cpu: Fargate needs the task's cpu"),
                bad("fargate without memory", b -> b.memory(null),
                        "memory: Fargate needs the task's memory"),
                bad("cpu not a number", b -> b.cpu("lots"),
                        "cpu: 'lots' is not CPU units (e.g. 1024) or vCPU"),
                bad("memory not a number", b -> b.memory("big"),
                        "memory: 'big' is not memory in MiB"),
                bad("cpu Fargate lacks", b -> b.cpu("300"),
                        "cpu/memory: Fargate does not offer cpu 300"),
                bad("256 with 4096", b -> b.cpu("256").memory("4096"),
                        "cpu/memory: Fargate does not accept memory 4096 with cpu 256; use memory 512, 1024 or 2048"),
                bad("512 with 1536", b -> b.cpu("512").memory("1536"),
                        "Fargate does not accept memory 1536 with cpu 512; use memory 1024 to 4096 in steps of 1024"),
                bad("1024 with 1024", b -> b.cpu("1 vCPU").memory("1 GB"),
                        "Fargate does not accept memory 1024 with cpu 1024; use memory 2048 to 8192"),
                bad("2048 with 20480", b -> b.cpu("2048").memory("20480"),
                        "memory 20480 with cpu 2048; use memory 4096 to 16384 in steps of 1024"),
                bad("4096 with 32768", b -> b.cpu("4096").memory("32768"),
                        "memory 32768 with cpu 4096; use memory 8192 to 30720 in steps of 1024"),
                bad("8192 with 17408", b -> b.cpu("8192").memory("17408"),
                        "memory 17408 with cpu 8192; use memory 16384 to 61440 in steps of 4096"),
                bad("16384 with 36864", b -> b.cpu("16384").memory("36864"),
                        "memory 36864 with cpu 16384; use memory 32768 to 122880 in steps of 8192"),
                bad("override pair", b -> b.memoryOverride("8192"),
                        "cpuOverride/memoryOverride: Fargate does not accept memory 8192 with cpu 256"),
                bad("bad override", b -> b.cpuOverride("x"),
                        "cpuOverride: 'x' is not CPU units"),
                bad("unknown network mode", b -> b.launchType("EC2").networkMode("overlay"),
                        "networkMode: unknown network mode 'overlay'"),
                bad("fargate with bridge", b -> b.networkMode("bridge"),
                        "networkMode: Fargate tasks need awsvpc, was 'bridge'"),
                bad("awsvpc without subnets", b -> withoutNetwork(flowContainer().build()),
                        "subnets: the awsvpc network mode needs at least one subnet id"),
                bad("malformed subnet", b -> b.subnets(List.of("subnet-xyz")),
                        "subnets: 'subnet-xyz' is not a subnet id"),
                bad("malformed security group", b -> b.securityGroups(List.of("default")),
                        "securityGroups: 'default' is not a security group id"),
                bad("subnets with bridge", b -> b.launchType("EC2").networkMode("bridge"),
                        "subnets/securityGroups/assignPublicIp: only apply to the awsvpc network mode"),
                bad("bad assignPublicIp", b -> b.assignPublicIp("YES"),
                        "assignPublicIp: 'YES' is not ENABLED or DISABLED"),
                bad("malformed execution role", b -> b.executionRoleArn("my role"),
                        "executionRoleArn: 'my role' is neither an IAM role ARN (arn:aws:iam::<12-digit account>:role/"
                                + "<name>) nor a role name"),
                bad("role name with a path", b -> b.executionRoleArn("service-role/ecsTaskExecutionRole"),
                        "executionRoleArn: 'service-role/ecsTaskExecutionRole' is neither an IAM role ARN"),
                bad("role name too long", b -> b.taskRoleArn("r".repeat(65)),
                        "taskRoleArn: '" + "r".repeat(65) + "' is neither an IAM role ARN"),
                bad("malformed task role", b -> b.taskRoleArn("arn:aws:iam::12:role/x"),
                        "taskRoleArn: 'arn:aws:iam::12:role/x' is neither an IAM role ARN"),
                bad("role to assume given by name", b -> b.roleArn("flowport-deployer"),
                        "roleArn: 'flowport-deployer' is not an IAM role ARN"),
                bad("malformed role to assume", b -> b.roleArn("arn:aws:iam::123456789012:user/bob"),
                        "roleArn: 'arn:aws:iam::123456789012:user/bob' is not an IAM role ARN"),
                bad("external id without role", b -> b.externalId("abc"),
                        "externalId: only used when assuming a role; set roleArn too"),
                bad("bad session name", b -> b.roleArn("arn:aws:iam::123456789012:role/r").roleSessionName("a b"),
                        "roleSessionName: 'a b' is invalid"),
                bad("bad architecture", b -> b.cpuArchitecture("RISCV"),
                        "cpuArchitecture: 'RISCV' is not X86_64 or ARM64"),
                bad("no container", b -> withContainer(b, null),
                        "containerDefinitions: no container; the first container runs the flow"),
                bad("first container without image", b -> withContainer(b, ContainerDefinition.builder()
                                .name("flow").build()),
                        "containerDefinitions[0].image: missing; the first container runs the flow and needs an image"),
                bad("container without name", b -> withContainer(b, ContainerDefinition.builder()
                                .image("i").build()),
                        "containerDefinitions[0].name: missing"),
                bad("duplicate container", b -> b.container(flowContainer().build()),
                        "containerDefinitions[1].name: duplicate container name 'flow'"),
                bad("first not essential", b -> withContainer(b, flowContainer().essential(false).build()),
                        "containerDefinitions[0].essential: the first container runs the flow and must be essential"),
                bad("negative container memory", b -> withContainer(b, flowContainer().memory(0).build()),
                        "containerDefinitions[0].memory: must be > 0, was 0"),
                bad("ec2 without any memory", b -> withContainer(b, flowContainer().build()).launchType("EC2")
                                .memory(null).cpu(null),
                        "containerDefinitions[0].memory: EC2 tasks without task memory need memory"),
                bad("runner variable in environment", b -> withContainer(b, flowContainer()
                                .env("FLOWPORT__FLOW_RUN_ID", "x").build()),
                        "containerDefinitions[0].environment: FLOWPORT__FLOW_RUN_ID is set by Flowport for each run"),
                bad("secret not an ARN", b -> withContainer(b, flowContainer().secret("DB_PASSWORD", "hunter2")
                                .build()),
                        "containerDefinitions[0].secrets: DB_PASSWORD must reference a Secrets Manager secret or SSM"),
                bad("secret without execution role", b -> withContainer(b, flowContainer()
                                .secret("DB", "arn:aws:ssm:us-east-1:123456789012:parameter/db").build())
                                .executionRoleArn(null),
                        "containerDefinitions[0].secrets: ECS reads secrets with the task execution role"),
                bad("awslogs without group", b -> withContainer(b, flowContainer().logConfiguration(
                                new LogConfiguration("awslogs", Map.of("awslogs-stream-prefix", "p"))).build()),
                        "containerDefinitions[0].logConfiguration: awslogs needs the option awslogs-group"),
                bad("awslogs on Fargate without prefix", b -> withContainer(b, flowContainer().logConfiguration(
                                LogConfiguration.awslogs("g", null, null)).build()),
                        "awslogs on Fargate needs the option awslogs-stream-prefix"),
                bad("awslogs bad region", b -> withContainer(b, flowContainer().logConfiguration(
                                LogConfiguration.awslogs("g", "mars", "p")).build()),
                        "awslogs-region 'mars' is not an AWS region name"),
                bad("awslogs on Fargate without execution role", b -> b.executionRoleArn(null),
                        "Fargate writes awslogs with the task execution role; set executionRoleArn"),
                bad("log driver missing", b -> withContainer(b, flowContainer().logConfiguration(
                                new LogConfiguration(null, Map.of())).build()),
                        "containerDefinitions[0].logConfiguration.logDriver: missing"),
                bad("platform version on EC2", b -> withContainer(b, flowContainer().memory(512).build())
                                .launchType("EC2").platformVersion("1.4.0"),
                        "platformVersion: only applies to the FARGATE launch type"),
                bad("bad propagateTags", b -> b.propagateTags("SERVICE"),
                        "propagateTags: 'SERVICE' is not TASK_DEFINITION or NONE"),
                bad("capacity provider without name", b -> b.capacityProviderStrategy(List.of(
                                new CapacityProviderStrategyItem(" ", 1, null))),
                        "capacityProviderStrategy[0].capacityProvider: missing"),
                bad("capacity provider weight", b -> b.capacityProviderStrategy(List.of(
                                CapacityProviderStrategyItem.of("FARGATE_SPOT", 2000))),
                        "capacityProviderStrategy[0].weight: must be 0 to 1000, was 2000"),
                bad("capacity provider base", b -> b.capacityProviderStrategy(List.of(
                                new CapacityProviderStrategyItem("FARGATE", 1, -1))),
                        "capacityProviderStrategy[0].base: must be 0 to 100000, was -1"),
                bad("reserved tag", b -> b.tag("aws:owner", "me"),
                        "tags: key 'aws:owner' uses the reserved prefix aws:"),
                bad("flowport tag", b -> b.tag("flowport.io/flow-run-id", "x"),
                        "tags: key 'flowport.io/flow-run-id' uses the prefix flowport.io/"),
                bad("tag value too long", b -> b.tag("team", "x".repeat(300)),
                        "tags: value of 'team' is invalid"),
                bad("too many tags", b -> b.tags(manyTags(48)),
                        "tags: ECS takes at most 50 tags and Flowport adds 3; give at most 47, was 48"),
                bad("empty runner command", b -> b.runnerCommand(List.of()),
                        "runnerCommand: empty; give the program and its arguments"),
                bad("sdk attempts", b -> b.sdkMaxAttempts(0),
                        "sdkMaxAttempts: must be 1 to 10 (1 = no SDK retry), was 0"),
                bad("request timeout", b -> b.requestTimeout(Duration.ZERO),
                        "requestTimeout: must be a positive duration, was PT0S"),
                bad("negative pacing", b -> b.launchesPerSecond(-1),
                        "launchesPerSecond: must be >= 0 (0 = no pacing), was -1.0"));
    }

    private static Map<String, String> manyTags(int n) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.put("t" + i, "v");
        }
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void aBadSettingIsNamedWithItsFix(String description, UnaryOperator<FargateTaskEnvironment.Builder> change,
                                      String expected) {
        FargateTaskEnvironment env = change.apply(Fixtures.base()).build();
        assertThatThrownBy(() -> env.setup(FLOW))
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems())
                        .anySatisfy(p -> assertThat(p).contains(expected)));
    }

    @Test
    void theFixtureIsValid() {
        assertThat(FargateValidation.problems(Fixtures.base().build(), FLOW)).isEmpty();
    }

    @Test
    void everyFargateCpuMemoryPairOfAwsTableIsAccepted() {
        int[][] table = {{256, 512}, {256, 1024}, {256, 2048}, {512, 1024}, {512, 4096}, {1024, 2048},
                {1024, 8192}, {2048, 4096}, {2048, 16384}, {4096, 8192}, {4096, 30720}, {8192, 16384},
                {8192, 61440}, {16384, 32768}, {16384, 122880}};
        for (int[] pair : table) {
            FargateTaskEnvironment env = Fixtures.base().cpu(String.valueOf(pair[0])).memory(String.valueOf(pair[1]))
                    .build();
            assertThat(FargateValidation.problems(env, FLOW)).as("cpu %s memory %s", pair[0], pair[1]).isEmpty();
        }
        assertThat(FargateValidation.problems(Fixtures.base().cpu("0.25 vCPU").memory("0.5 GB").build(), FLOW))
                .isEmpty();
    }

    @Test
    void everyProblemIsReportedAtOnceBeforeAnyAwsCall() throws Exception {
        try (LocalAwsServer server = new LocalAwsServer(2)) {
            FargateTaskEnvironment env = Fixtures.env(server).launchType("fargate-ish").cpu("3").family("a b")
                    .executionRoleArn("no/pe").build();
            assertThatThrownBy(() -> env.setup(FLOW))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("FargateTaskEnvironment: ")
                    .hasMessageContaining("launchType:").hasMessageContaining("family:")
                    .hasMessageContaining("executionRoleArn:");
            assertThatThrownBy(() -> env.execute(FLOW, FlowRun.create())).isInstanceOf(ConfigurationException.class);
            assertThatThrownBy(() -> env.submit(FLOW, FlowRun.create())).isInstanceOf(ConfigurationException.class);
            assertThat(server.calls("GetCallerIdentity") + server.calls("RegisterTaskDefinition")
                    + server.calls("DescribeTaskDefinition") + server.calls("RunTask")).isZero();
        }
    }

    @Test
    void roleNamesAreAcceptedAsRegisterTaskDefinitionTakesThem() {
        FargateTaskEnvironment env = Fixtures.base().executionRoleArn("ecsTaskExecutionRole")
                .taskRoleArn("flow-runner+etl=1,a.b@c_d").build();
        assertThat(FargateValidation.problems(env, FLOW)).isEmpty();
    }

    @Test
    void ec2AcceptsBridgeNetworkingWithoutSubnetsAndTaskCpu() {
        FargateTaskEnvironment env = withoutNetwork(flowContainer().memory(512).build())
                .launchType("ec2").cpu(null).memory(null).build();
        assertThat(env.launchType()).isEqualTo("EC2");
        assertThat(env.effectiveNetworkMode()).isEqualTo("bridge");
        assertThat(FargateValidation.problems(env, FLOW)).isEmpty();
    }

    @Test
    void onStartDoesNotRunForInvalidSettings() {
        boolean[] started = {false};
        FargateTaskEnvironment env = Fixtures.base().cpu("3").onStart(info -> started[0] = true).build();
        assertThatThrownBy(() -> env.execute(FLOW, FlowRun.create())).isInstanceOf(ConfigurationException.class);
        assertThat(started[0]).isFalse();
    }
}
