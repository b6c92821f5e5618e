package io.flowport.env.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.StateType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Credentials and region: the STS check at setup, explicit keys, environment variables, assumed roles. */
class CredentialsTest extends WithLocalAws {

    private static final Flow FLOW = Flow.command("creds", CommandSpec.of("sh", "-c", "exit 0"));
    private static final String ROLE = "arn:aws:iam::123456789012:role/flowport-deployer";

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(8);
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(20));
    }


    private int mutatingCalls() {
        return server.calls("RegisterTaskDefinition") + server.calls("DescribeTaskDefinition")
                + server.calls("RunTask");
    }

    @Test
    void badCredentialsAreAClearErrorBeforeAnythingIsCreated() {
        server.rejectedKeys.add("AKIDREVOKED");
        FargateTaskEnvironment e = env(Fixtures.env(server).awsAccessKeyId("AKIDREVOKED"));
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("the AWS credentials do not work, nothing was created")
                .hasMessageContaining("AWS rejected the credentials (InvalidClientTokenId")
                .hasMessageNotContaining("test-secret-key");
        assertThat(server.calls("GetCallerIdentity")).isEqualTo(1);
        assertThat(mutatingCalls()).isZero();
    }

    @Test
    void expiredSessionCredentialsSayToRenewThem() {
        server.expiredKeys.add("ASIAEXPIRED");
        FargateTaskEnvironment e = env(Fixtures.env(server).awsAccessKeyId("ASIAEXPIRED").awsSessionToken("tok"));
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("ExpiredToken").hasMessageContaining("renew expired session credentials");
        assertThat(mutatingCalls()).isZero();
    }

    @Test
    void aRunWithBadCredentialsEndsFailedAndStillCallsOnExit() {
        server.rejectedKeys.add("AKIDREVOKED");
        boolean[] exited = {false};
        FargateTaskEnvironment e = env(Fixtures.env(server).awsAccessKeyId("AKIDREVOKED")
                .onExit((info, result) -> exited[0] = true));
        FlowRunResult r = e.execute(FLOW, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("InvalidClientTokenId");
        assertThat(exited[0]).isTrue();
        assertThat(mutatingCalls()).isZero();
    }

    @Test
    void aTransientStsErrorAtSetupIsRetried() {
        server.inject("GetCallerIdentity", LocalAwsServer.Fault.error(503, "ServiceUnavailable", "busy"));
        FargateTaskEnvironment e = env(Fixtures.env(server).sdkMaxAttempts(1));
        e.setup(FLOW);
        assertThat(server.calls("GetCallerIdentity")).isEqualTo(2);
        assertThat(server.calls("RegisterTaskDefinition")).isEqualTo(1);
    }

    @Test
    void everyCallUsesTheAssumedRoleWithItsExternalId() throws Exception {
        server.roleExternalIds.put(ROLE, "ext-42");
        FargateTaskEnvironment e = env(Fixtures.env(server).roleArn(ROLE).externalId("ext-42")
                .roleSessionName("ci-run"));
        FlowRunResult r = e.submit(FLOW, FlowRun.create()).get(20, TimeUnit.SECONDS);
        assertThat(r.isSuccess()).isTrue();
        assertThat(server.keysUsedFor("AssumeRole")).containsExactly("AKIDFLOWPORTTEST");
        for (String op : List.of("GetCallerIdentity", "RegisterTaskDefinition", "RunTask", "DescribeTasks")) {
            assertThat(server.keysUsedFor(op)).as(op).isNotEmpty().allMatch(k -> k.startsWith("ASIA"));
        }
    }

    @Test
    void aRoleThatCannotBeAssumedIsAClearError() {
        server.deniedRoles.add(ROLE);
        FargateTaskEnvironment e = env(Fixtures.env(server).roleArn(ROLE));
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("could not assume role " + ROLE)
                .hasMessageContaining("not authorized to perform: sts:AssumeRole");
        assertThat(mutatingCalls()).isZero();
    }

    @Test
    void assumedCredentialsAreRefreshedBeforeTheyExpire() throws Exception {
        // credentials that expire within the provider's stale time are refreshed before every use
        server.assumedCredentialLifetime = Duration.ofSeconds(30);
        FargateTaskEnvironment e = env(Fixtures.env(server).roleArn(ROLE));
        e.setup(FLOW);
        assertThat(e.submit(FLOW, FlowRun.create()).get(20, TimeUnit.SECONDS).isSuccess()).isTrue();
        assertThat(server.calls("AssumeRole")).isGreaterThan(1);
        List<String> keys = new ArrayList<>();
        for (String op : List.of("GetCallerIdentity", "RegisterTaskDefinition", "RunTask", "DescribeTasks")) {
            keys.addAll(server.keysUsedFor(op));
        }
        assertThat(keys).allMatch(k -> k.startsWith("ASIA"));
        assertThat(keys.stream().distinct().count()).isGreaterThan(1);
    }

    @Test
    void regionComesFromRegionNameThenAwsRegion() {
        assertThat(Fixtures.base().regionName(null).systemEnvironment(Map.of("REGION_NAME", "eu-west-1",
                "AWS_REGION", "us-west-2")).build().resolvedRegion()).contains("eu-west-1");
        assertThat(Fixtures.base().regionName(null).systemEnvironment(Map.of("AWS_REGION", "us-west-2")).build()
                .resolvedRegion()).contains("us-west-2");
        assertThat(Fixtures.base().regionName("ap-south-1").systemEnvironment(Map.of("AWS_REGION", "us-west-2"))
                .build().resolvedRegion()).contains("ap-south-1");
        assertThat(Fixtures.base().regionName(null).build().resolvedRegion()).isEmpty();
    }

    @Test
    void credentialsComeFromTheEnvironmentVariablesWhenNoneAreGiven() {
        FargateTaskEnvironment e = env(Fixtures.base().endpointOverride(server.endpoint()).regionName(null)
                .systemEnvironment(Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKIDFROMENV",
                        "AWS_SECRET_ACCESS_KEY", "from-env")));
        e.setup(FLOW);
        assertThat(server.keysUsedFor("GetCallerIdentity")).containsExactly("AKIDFROMENV");
        assertThat(e.hasExplicitCredentials()).isFalse();
    }
}
