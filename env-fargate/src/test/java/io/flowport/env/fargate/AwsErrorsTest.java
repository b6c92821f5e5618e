package io.flowport.env.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.StateType;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Launch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ecs.model.EcsException;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.flowport.env.fargate.LocalAwsServer.Fault;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * AWS errors are told apart by error code, HTTP status and exception type, never by message text: the messages
 * below are chosen to mislead a matcher that reads them.
 */
class AwsErrorsTest extends WithLocalAws {

    private static final Flow FLOW = Flow.command("errors", CommandSpec.of("sh", "-c", "exit 0"));

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(8);
    }

    private static EcsException ecs(int status, String code, String message) {
        return (EcsException) EcsException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
                .message(message).build();
    }

    @Test
    void codesStatusesAndTypesDecideNotMessages() {
        assertThat(AwsErrors.map("RunTask", ecs(400, "ClientException",
                "Too many concurrent attempts to create a new revision"))).isInstanceOf(LaunchException.class);
        assertThat(AwsErrors.map("RunTask", ecs(400, "ThrottlingException", "all good")))
                .isInstanceOfSatisfying(TransientException.class, t -> assertThat(t.throttled()).isTrue());
        assertThat(AwsErrors.map("RunTask", ecs(503, "Whatever", "fine")))
                .isInstanceOfSatisfying(TransientException.class, t -> assertThat(t.throttled()).isFalse());
        assertThat(AwsErrors.map("RunTask", ecs(400, "ServerException", "x"))).isInstanceOf(TransientException.class);
        assertThat(AwsErrors.map("RunTask", ecs(400, "UnrecognizedClientException", "nothing about keys")))
                .isInstanceOf(LaunchException.class).hasMessageContaining("AWS rejected the credentials");
        assertThat(AwsErrors.map("RunTask", ecs(400, "AccessDeniedException", "x")))
                .hasMessageContaining("lists the IAM permissions needed");
        assertThat(AwsErrors.map("RunTask", SdkClientException.builder().message("Unable to execute HTTP request")
                .cause(new IOException("Connection reset")).build())).isInstanceOf(TransientException.class);
        assertThat(AwsErrors.map("RunTask", ApiCallAttemptTimeoutException.create(500)))
                .isInstanceOf(TransientException.class);
        // no answer and no I/O error: the SDK stopped before sending; its message may or may not say why
        assertThat(AwsErrors.map("RunTask", SdkClientException.create("the provider chain found nothing")))
                .isInstanceOf(LaunchException.class).hasMessageContaining("failed before reaching AWS")
                .hasMessageContaining("credentials come from the AWS SDK's default chain");
    }

    @Test
    void aRefusedRunTaskWhoseMessageSoundsTransientFailsAtOnce() throws Exception {
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(20));
        server.inject("RunTask", Fault.error(400, "ClientException",
                "Too many concurrent attempts to create a new revision of the specified family."));
        FargateTaskEnvironment e = env(Fixtures.env(server));
        FlowRunResult r = e.submit(FLOW, FlowRun.create()).get(30, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("ClientException: Too many concurrent attempts");
        assertThat(server.calls("RunTask")).isEqualTo(1);
    }

    @Test
    void aFamilyWithoutRevisionsIsRecognisedByItsCodeWhateverTheMessage() {
        server.inject("DescribeTaskDefinition", Fault.error(400, "ClientException", "Family is unknown to us."));
        env(Fixtures.env(server)).setup(FLOW);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);
    }

    @Test
    void stoppingATaskEcsForgotIsQuietWhateverTheMessage() {
        EcsBackend backend = EcsBackend.create(Fixtures.env(server).build());
        try {
            server.inject("StopTask", Fault.error(400, "InvalidParameterException", "The task is long gone."));
            backend.stop(new Launch("arn:aws:ecs:us-east-1:123456789012:task/flows/forgotten", "run-1", Map.of(),
                    Instant.now()), "cleanup");
            assertThat(server.calls("StopTask")).isEqualTo(1);
        } finally {
            backend.close();
        }
    }

    @Test
    void aStopRefusedForARunningTaskIsAnErrorEvenIfTheMessageSaysNotFound() throws Exception {
        FargateTaskEnvironment e = env(Fixtures.env(server));
        FlowRun run = FlowRun.create();
        e.submit(FLOW, run);
        LocalAwsServer.SimTask task = await().atMost(20, TimeUnit.SECONDS).until(
                () -> server.tasks().stream().findFirst().orElse(null), t -> t != null);
        server.start(task.arn());
        server.inject("StopTask", Fault.error(400, "InvalidParameterException", "Task not found in cache."));
        Launch launch = new Launch(task.arn(), run.id(), Map.of(), Instant.now());
        assertThatThrownBy(() -> e.backend().stop(launch, "test")).isInstanceOf(LaunchException.class)
                .hasMessageContaining("InvalidParameterException");
        assertThat(server.task(task.arn()).lastStatus()).isEqualTo("RUNNING");
        e.backend().stop(launch, "test"); // without the injected refusal it stops
        server.exit(task.arn(), 0);
    }

    @Test
    void noCredentialsAtAllIsAClearErrorBeforeAnythingIsCreated() {
        FargateTaskEnvironment e = env(Fixtures.base().endpointOverride(server.endpoint()).lifecycleSettings(
                Fixtures.fastLifecycle()).credentialsProvider(() -> {
                    throw SdkClientException.create("Unable to load credentials from any of the providers");
                }));
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("the AWS credentials do not work, nothing was created")
                .hasMessageContaining("credentials come from the AWS SDK's default chain");
        assertThat(server.calls("GetCallerIdentity") + server.calls("RegisterTaskDefinition")).isZero();
    }
}
