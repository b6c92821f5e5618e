package io.flowport.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.Serialization;
import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.env.fargate.ContainerDefinition;
import io.flowport.env.fargate.FargateTaskEnvironment;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** ECS environments for the local ECS server (env-fargate's test-jar), and the factory agents build them with. */
final class Ecs {

    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    private Ecs() {
    }

    /** A valid Fargate environment that talks to {@code endpoint}. */
    static FargateTaskEnvironment.Builder env(URI endpoint) {
        return FargateTaskEnvironment.builder()
                .regionName("us-east-1")
                .endpointOverride(endpoint)
                .cluster("flows")
                .cpu("256")
                .memory("512")
                .subnets(List.of("subnet-0123456789abcdef0"))
                .securityGroups(List.of("sg-0123456789abcdef0"))
                .executionRoleArn("arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
                .requestTimeout(Duration.ofSeconds(10))
                .container(ContainerDefinition.builder().name("flow").image("example/flows:1").build());
    }

    /** The environment document of {@link #env}, with labels. */
    static String envJson(URI endpoint, String... labels) {
        return Serialization.toJson(env(endpoint).labels(labels).build());
    }

    /** A command flow that the local server simulates ({@code echo}, {@code sleep}, {@code exit}). */
    static Flow flow(String name, String script) {
        return Flow.command(name, CommandSpec.of("sh", "-c", script));
    }

    /** Fast polls (the defaults poll every 2 to 30 s) and short deadlines, for tests and benchmarks. */
    static BackendLifecycle.Settings fastLifecycle() {
        return BackendLifecycle.Settings.builder()
                .pollIntervals(Duration.ofMillis(50), Duration.ofMillis(500))
                .startTimeout(Duration.ofSeconds(60))
                .stopTimeout(Duration.ofSeconds(20))
                .launchDeadline(Duration.ofSeconds(30))
                .backoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(500)))
                .threads(8)
                .statusReadsPerSecond(200)
                .build();
    }

    /**
     * Builds {@code fargate-task} documents with test credentials and {@link #fastLifecycle()} (what documents never
     * carry); other types as usual.
     */
    static final EnvironmentFactory FACTORY = spec -> {
        if (!"fargate-task".equals(spec.path("type").asText())) {
            return EnvironmentFactory.DEFAULT.create(spec);
        }
        ObjectNode settings = spec.deepCopy();
        settings.remove("type");
        try {
            return JSON.treeToValue(settings, FargateTaskEnvironment.Builder.class)
                    .awsAccessKeyId("AKIDAGENTTEST").awsSecretAccessKey("agent-test-secret")
                    .lifecycleSettings(fastLifecycle()).build();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a fargate-task document: " + e.getOriginalMessage(), e);
        }
    };

    /** An ECS client of the local server: the tests look at the platform through the real API. */
    static software.amazon.awssdk.services.ecs.EcsClient client(URI endpoint) {
        return software.amazon.awssdk.services.ecs.EcsClient.builder().endpointOverride(endpoint)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("AKIDPROBE", "probe")))
                .build();
    }

    /** How many tasks of the test cluster ECS has not stopped (ListTasks, desired status RUNNING). */
    static int tasksNotStopped(software.amazon.awssdk.services.ecs.EcsClient ecs) {
        int n = 0;
        for (var page : ecs.listTasksPaginator(b -> b.cluster("flows")
                .desiredStatus(software.amazon.awssdk.services.ecs.model.DesiredStatus.RUNNING))) {
            n += page.taskArns().size();
        }
        return n;
    }

    /** The local server's counters ({@code /_stats}): calls per operation, tasks, runs with more than one task. */
    static JsonNode stats(URI endpoint) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(endpoint.resolve("/_stats"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }
}
