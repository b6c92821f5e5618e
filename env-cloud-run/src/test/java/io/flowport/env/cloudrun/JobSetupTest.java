package io.flowport.env.cloudrun;

import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.api.gax.core.NoCredentialsProvider;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The job as a content-compared definition: created once, written again only when what Flowport sets differs. */
class JobSetupTest extends WithLocalCloudRun {

    private static final Flow FLOW = Flow.command("nightly etl", CommandSpec.of("sh", "-c", "echo hi")
            .withEnv("STAGE", "load"));

    @Test
    void theFirstSetupCreatesTheJobWithWhatIsSet() {
        env(fixture().cpu("2").memory("1Gi").maxRetries(1).taskTimeout(Duration.ofMinutes(30))
                .serviceAccount("flows@flowport-test.iam.gserviceaccount.com")
                .secret("DB_PASSWORD", "projects/flowport-test/secrets/db/versions/3")
                .secret("API_KEY", "projects/other-project/secrets/api/versions/latest")
                .jobLabels(java.util.Map.of("team", "data"))).setup(FLOW);

        assertThat(server.calls("CreateJob")).isEqualTo(1);
        Job job = server.job("flowport-nightly-etl");
        assertThat(job.getLabelsMap()).containsEntry("flowport-managed-by", "flowport")
                .containsEntry("flowport-flow-name", "nightly-etl").containsEntry("team", "data")
                .containsKey("flowport-content-hash");
        Container c = job.getTemplate().getTemplate().getContainers(0);
        assertThat(c.getName()).isEqualTo("flow");
        assertThat(c.getImage()).isEqualTo(Fixtures.IMAGE);
        assertThat(c.getCommandList()).containsExactly("sh");
        assertThat(c.getArgsList()).containsExactly("-c", "echo hi");
        assertThat(c.getResources().getLimitsMap()).containsEntry("cpu", "2").containsEntry("memory", "1Gi");
        assertThat(c.getEnvList()).extracting(EnvVar::getName).containsExactly("API_KEY", "APP_MODE", "DB_PASSWORD");
        EnvVar password = c.getEnvList().stream().filter(v -> v.getName().equals("DB_PASSWORD")).findFirst().orElseThrow();
        assertThat(password.getValue()).isEmpty();
        assertThat(password.getValueSource().getSecretKeyRef().getSecret()).isEqualTo("db");
        assertThat(password.getValueSource().getSecretKeyRef().getVersion()).isEqualTo("3");
        EnvVar apiKey = c.getEnvList().stream().filter(v -> v.getName().equals("API_KEY")).findFirst().orElseThrow();
        assertThat(apiKey.getValueSource().getSecretKeyRef().getSecret()).isEqualTo("projects/other-project/secrets/api");
        assertThat(job.getTemplate().getTemplate().getMaxRetries()).isEqualTo(1);
        assertThat(job.getTemplate().getTemplate().getTimeout().getSeconds()).isEqualTo(1800);
        assertThat(job.getTemplate().getTemplate().getServiceAccount())
                .isEqualTo("flows@flowport-test.iam.gserviceaccount.com");
        assertThat(job.getTemplate().getLabelsMap()).containsEntry("flowport-managed-by", "flowport");
    }

    @Test
    void aSecondSetupMakesNoWriteEvenThoughCloudRunFilledInFields() {
        env(fixture()).setup(FLOW);
        // the server added a default service account, a system label, the execution environment, etag, generation
        assertThat(server.job("flowport-nightly-etl").getTemplate().getTemplate().getServiceAccount())
                .isEqualTo(LocalCloudRun.DEFAULT_SERVICE_ACCOUNT);
        int writes = server.writes();

        env(fixture()).setup(FLOW); // another environment object: reads the job, compares, writes nothing
        env(fixture()).setup(FLOW);
        assertThat(server.writes()).isEqualTo(writes);
        assertThat(server.calls("UpdateJob")).isZero();
        assertThat(server.calls("GetJob")).isEqualTo(3);
    }

    @Test
    void theSameEnvironmentReadsTheJobOnce() {
        CloudRunJobEnvironment e = env(fixture());
        e.setup(FLOW);
        e.setup(FLOW);
        e.setup(FLOW);
        assertThat(server.calls("GetJob")).isEqualTo(1);
        assertThat(server.calls("CreateJob")).isEqualTo(1);
    }

    @Test
    void aChangedSettingUpdatesTheJobOnceAndThenItIsStable() {
        env(fixture()).setup(FLOW);
        env(fixture().memory("2Gi")).setup(FLOW);
        assertThat(server.calls("UpdateJob")).isEqualTo(1);
        assertThat(server.job("flowport-nightly-etl").getTemplate().getTemplate().getContainers(0).getResources()
                .getLimitsMap()).containsEntry("memory", "2Gi");
        env(fixture().memory("2048Mi")).setup(FLOW); // the same amount written differently
        assertThat(server.calls("UpdateJob")).isEqualTo(1);
    }

    @Test
    void taskCountAndTimeoutDoNotRewriteTheJobBecauseEveryRunSendsThem() {
        env(fixture()).setup(FLOW);
        env(fixture().taskCount(3).taskTimeout(Duration.ofHours(2))).setup(FLOW);
        assertThat(server.calls("UpdateJob")).isZero();
    }

    @Test
    void vpcFieldsCloudRunFillsInDoNotRewriteTheJob() {
        env(fixture().vpcSubnetwork("flows").vpcNetworkTags(List.of("egress"))).setup(FLOW);
        var vpc = server.job("flowport-nightly-etl").getTemplate().getTemplate().getVpcAccess();
        assertThat(vpc.getEgress().name()).isEqualTo("PRIVATE_RANGES_ONLY"); // filled in by the server
        assertThat(vpc.getNetworkInterfaces(0).getNetwork()).endsWith("/networks/default");
        env(fixture().vpcSubnetwork("flows").vpcNetworkTags(List.of("egress"))).setup(FLOW);
        assertThat(server.calls("UpdateJob")).isZero();
        env(fixture().vpcSubnetwork("flows").vpcNetworkTags(List.of("egress")).vpcEgress("ALL_TRAFFIC")).setup(FLOW);
        assertThat(server.calls("UpdateJob")).isEqualTo(1);
        env(fixture()).setup(FLOW); // VPC access removed from the settings: removed from the job
        assertThat(server.calls("UpdateJob")).isEqualTo(2);
        assertThat(server.job("flowport-nightly-etl").getTemplate().getTemplate().hasVpcAccess()).isFalse();
    }

    @Test
    void aVariableRemovedFromTheSettingsIsRemovedFromTheJob() {
        env(fixture().env("EXTRA", "1")).setup(FLOW);
        env(fixture()).setup(FLOW);
        assertThat(server.calls("UpdateJob")).isEqualTo(1);
        assertThat(server.job("flowport-nightly-etl").getTemplate().getTemplate().getContainers(0).getEnvList())
                .extracting(EnvVar::getName).doesNotContain("EXTRA");
    }

    @Test
    void aJobThatIsNotFlowportsIsNotTakenOver() throws Exception {
        try (JobsClient other = JobsClient.create(JobsSettings.newBuilder()
                .setTransportChannelProvider(server.transport())
                .setCredentialsProvider(NoCredentialsProvider.create()).build())) {
            other.createJobAsync("projects/" + LocalCloudRun.PROJECT + "/locations/" + LocalCloudRun.REGION,
                    Job.newBuilder().setTemplate(com.google.cloud.run.v2.ExecutionTemplate.newBuilder()
                            .setTemplate(com.google.cloud.run.v2.TaskTemplate.newBuilder()
                                    .addContainers(Container.newBuilder().setImage("someone/else")))).build(),
                    "flowport-nightly-etl").get();
        }
        int writes = server.writes();
        CloudRunJobEnvironment e = env(fixture());
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("was not created by Flowport").hasMessageContaining("set jobName");
        assertThat(server.writes()).isEqualTo(writes);
        assertThat(server.job("flowport-nightly-etl").getTemplate().getTemplate().getContainers(0).getImage())
                .isEqualTo("someone/else");
    }

    @Test
    void aCreateWhoseAnswerWasLostIsNotRepeatedIntoASecondJob() {
        server.inject("CreateJob", LocalCloudRun.Fault.loseAnswer(Status.Code.UNAVAILABLE));
        env(fixture()).setup(FLOW);
        // the client library retried the create, Cloud Run said ALREADY_EXISTS, the job was read and is equal
        assertThat(server.calls("CreateJob")).isEqualTo(2);
        assertThat(server.calls("UpdateJob")).isZero();
        assertThat(server.jobCount()).isEqualTo(1);
    }

    @Test
    void unavailableAndThrottledReadsAreRetriedByTheClientLibrary() {
        server.inject("GetJob", LocalCloudRun.Fault.reject(Status.Code.UNAVAILABLE));
        server.inject("GetJob", LocalCloudRun.Fault.reject(Status.Code.RESOURCE_EXHAUSTED));
        env(fixture()).setup(FLOW);
        assertThat(server.calls("GetJob")).isEqualTo(3);
        assertThat(server.calls("CreateJob")).isEqualTo(1);
    }

    @Test
    void longRunningOperationsArePolledAtTheConfiguredInterval() {
        server.operationPolls = 3;
        long start = System.nanoTime();
        env(fixture()).setup(FLOW);
        assertThat(server.calls("GetOperation")).isGreaterThanOrEqualTo(3);
        // the client library's default first poll alone would wait 5 s
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aRefusalIsALaunchExceptionWithTheStatusCode() {
        server.inject("CreateJob", LocalCloudRun.Fault.reject(Status.Code.PERMISSION_DENIED));
        CloudRunJobEnvironment e = env(fixture());
        assertThatThrownBy(() -> e.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("permission denied").hasMessageContaining("IAM roles");
    }

    @Test
    void javaFlowsOfOneNamedJobShareItWithoutRewrites() {
        Flow a = Flow.builder("a").task("t", ctx -> 1).build();
        Flow b = Flow.builder("b").task("t", ctx -> 2).build();
        env(fixture().jobName("flows")).setup(a);
        env(fixture().jobName("flows")).setup(b);
        assertThat(server.calls("CreateJob")).isEqualTo(1);
        assertThat(server.calls("UpdateJob")).isZero();
        Container c = server.job("flows").getTemplate().getTemplate().getContainers(0);
        assertThat(c.getCommandList()).containsExactly("java");
        assertThat(c.getArgsList()).containsExactly("-cp", "/app/resources:/app/classes:/app/libs/*",
                "io.flowport.core.Runner");
        assertThat(server.job("flows").getLabelsMap()).doesNotContainKey("flowport-flow-name");
        assertThat(List.of(server.job("flows").getName())).containsExactly(
                "projects/flowport-test/locations/europe-west1/jobs/flows");
    }
}
