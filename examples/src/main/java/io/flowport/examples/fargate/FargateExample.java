package io.flowport.examples.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.env.fargate.ContainerDefinition;
import io.flowport.env.fargate.FargateTaskEnvironment;
import io.flowport.env.fargate.LogConfiguration;

import java.util.List;
import java.util.Map;

/**
 * An existing application runs a flow as an AWS Fargate task. Credentials come from the standard AWS
 * environment variables (or profile, or role) and are never written anywhere by Flowport.
 *
 * <pre>
 * AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
 * FLOWPORT_ECS_CLUSTER=flows FLOWPORT_ECS_SUBNETS=subnet-0abc... \
 * FLOWPORT_ECS_EXECUTION_ROLE_ARN=arn:aws:iam::123456789012:role/ecsTaskExecutionRole \
 * java -cp ... io.flowport.examples.fargate.FargateExample
 * </pre>
 *
 * Exits 0 when the run succeeded, 1 when it did not, 2 when the environment variables are missing.
 */
public final class FargateExample {

    private FargateExample() {
    }

    public static void main(String[] args) {
        String region = System.getenv("AWS_REGION");
        String subnets = System.getenv("FLOWPORT_ECS_SUBNETS");
        String executionRole = System.getenv("FLOWPORT_ECS_EXECUTION_ROLE_ARN");
        if (region == null || subnets == null || executionRole == null) {
            System.err.println("FargateExample: set AWS_REGION, FLOWPORT_ECS_SUBNETS (comma-separated subnet ids) and "
                    + "FLOWPORT_ECS_EXECUTION_ROLE_ARN, plus AWS credentials (AWS_ACCESS_KEY_ID/"
                    + "AWS_SECRET_ACCESS_KEY or a profile); optional: FLOWPORT_ECS_CLUSTER, FLOWPORT_ECS_IMAGE, "
                    + "FLOWPORT_ECS_LOG_GROUP");
            System.exit(2);
        }
        String cluster = envOr("FLOWPORT_ECS_CLUSTER", "default");
        String image = envOr("FLOWPORT_ECS_IMAGE", "public.ecr.aws/docker/library/alpine:3.20");
        String logGroup = envOr("FLOWPORT_ECS_LOG_GROUP", "/flowport/example");

        // a command flow: the image needs no JVM; a Java flow would run the Flowport runner in an image built
        // with flowport-storage-image instead
        Flow flow = Flow.command("fargate-hello", CommandSpec.of("sh", "-c", "echo hello from Fargate; date"));

        int exitCode;
        try (FargateTaskEnvironment env = FargateTaskEnvironment.builder()
                .cluster(cluster)
                .subnets(List.of(subnets.split(",")))
                .assignPublicIp("ENABLED") // to pull a public image without a NAT gateway
                .cpu("256").memory("512")
                .executionRoleArn(executionRole)
                .container(ContainerDefinition.builder().name("flow").image(image)
                        .logConfiguration(new LogConfiguration(LogConfiguration.AWSLOGS, Map.of(
                                LogConfiguration.GROUP, logGroup,
                                LogConfiguration.STREAM_PREFIX, "flowport",
                                LogConfiguration.CREATE_GROUP, "true")))
                        .build())
                .labels("aws")
                .onExit((info, result) -> System.out.println("run " + info.run().id() + " ended " + result.state()))
                .build()) {
            env.setup(flow); // checks the credentials, registers the task definition once
            FlowRunResult result = env.execute(flow, FlowRun.create());
            System.out.println("state: " + result.state());
            System.out.println("logs (" + result.logs().location() + "):");
            result.logs().lines().forEach(l -> System.out.println("  " + l));
            exitCode = result.isSuccess() ? 0 : 1;
        }
        System.exit(exitCode);
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
