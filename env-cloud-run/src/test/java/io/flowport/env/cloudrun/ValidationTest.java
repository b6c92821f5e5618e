package io.flowport.env.cloudrun;

import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Every setting checked before any call; all problems at once, each naming the field and the fix. */
class ValidationTest extends WithLocalCloudRun {

    private static final Flow FLOW = Flow.command("v", CommandSpec.of("sh", "-c", "exit 0"));

    private static List<String> problems(CloudRunJobEnvironment.Builder b) {
        CloudRunJobEnvironment e = b.build();
        ConfigurationException x = catchThrowableOfType(ConfigurationException.class, () -> e.setup(FLOW));
        assertThat(x).as("expected a ConfigurationException").isNotNull();
        return x.problems();
    }

    @Test
    void aValidEnvironmentHasNoProblems() {
        assertThat(CloudRunValidation.problems(Fixtures.base().build(), FLOW)).isEmpty();
        assertThat(CloudRunValidation.problems(Fixtures.base().cpu("8").memory("32Gi").taskTimeout(Duration.ofHours(168))
                .maxRetries(10).taskCount(10_000).parallelism(100).vpcNetwork("default").vpcSubnetwork(
                        "projects/flowport-test/regions/europe-west1/subnetworks/flows").vpcNetworkTags(List.of("flows"))
                .vpcEgress("PRIVATE_RANGES_ONLY").build(), FLOW)).isEmpty();
        assertThat(CloudRunValidation.problems(Fixtures.base().cpu("2000m").memory("8Gi").vpcConnector("flows-conn")
                .vpcEgress("ALL_TRAFFIC").build(), FLOW)).isEmpty();
    }

    @Test
    void everyProblemIsReportedAtOnceAndNothingIsCalled() {
        CloudRunJobEnvironment e = env(fixture().project("My Project").region("Europe").jobName("-bad-")
                .image(" ").cpu("3").memory("100Mi").taskTimeout(Duration.ofHours(200)).maxRetries(11).taskCount(0)
                .serviceAccount("not-an-email").vpcConnector("c").vpcNetwork("n").vpcEgress("SOME")
                .env("1BAD", "x").env("CLOUD_RUN_TASK_INDEX", "0").env("FLOWPORT__FLOW_RUN_ID", "x")
                .secret("PASSWORD", "hunter2").jobLabels(Map.of("Team", "Data"))
                .endpoint("https://run.googleapis.com").sdkMaxAttempts(0).requestTimeout(Duration.ZERO)
                .readsPerSecond(0).launchesPerSecond(-1));
        ConfigurationException x = catchThrowableOfType(ConfigurationException.class, () -> e.setup(FLOW));
        assertThat(x.problems()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(String.join("\n", x.problems())).contains("project:").contains("region:").contains("jobName:")
                .contains("image:").contains("cpu:").contains("memory:").contains("taskTimeout:")
                .contains("maxRetries:").contains("taskCount:").contains("serviceAccount:")
                .contains("vpcConnector/vpcNetwork/vpcSubnetwork").contains("vpcEgress:").contains("env: '1BAD'")
                .contains("CLOUD_RUN_TASK_INDEX is set by Cloud Run").contains("FLOWPORT__FLOW_RUN_ID is set by Flowport")
                .contains("secrets: PASSWORD must be a Secret Manager reference").contains("jobLabels:")
                .contains("endpoint:").contains("sdkMaxAttempts:").contains("requestTimeout:")
                .contains("readsPerSecond:").contains("launchesPerSecond:");
        assertThat(x.getMessage()).doesNotContain("hunter2"); // a secret value given by mistake is never echoed
        assertThat(server.allCalls()).isEmpty();
    }

    @Test
    void aRunWithBadSettingsIsRefusedBeforeAnyCall() {
        CloudRunJobEnvironment e = env(fixture().memory("lots"));
        assertThatThrownBy(() -> e.execute(FLOW, FlowRun.create())).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("memory:");
        assertThat(server.allCalls()).isEmpty();
    }

    @Test
    void cpuAndMemoryPairsFollowCloudRunsTable() {
        assertThat(problems(Fixtures.base().cpu("1").memory("8Gi"))).singleElement().asString()
                .contains("1 vCPU takes 512Mi to 4Gi").contains("use cpu 2, 4, 6, 8");
        assertThat(problems(Fixtures.base().cpu("4").memory("1Gi"))).singleElement().asString()
                .contains("4 vCPU takes 2Gi to 16Gi").contains("use cpu 1, 2");
        assertThat(problems(Fixtures.base().cpu("8").memory("2Gi"))).singleElement().asString()
                .contains("8 vCPU takes 4Gi to 32Gi");
        assertThat(problems(Fixtures.base().cpu("0.5"))).singleElement().asString()
                .contains("1, 2, 4, 6 or 8 vCPU");
        assertThat(problems(Fixtures.base().memory("64Gi"))).singleElement().asString()
                .contains("512Mi to 32Gi");
        assertThat(CloudRunValidation.problems(Fixtures.base().cpu("6").memory("4096Mi").build(), FLOW)).isEmpty();
    }

    @Test
    void projectAndRegionComeFromTheEnvironmentVariablesWhenNotSet() {
        CloudRunJobEnvironment e = Fixtures.base().project(null).region(null)
                .systemEnvironment(Map.of("GOOGLE_CLOUD_PROJECT", "from-env-project", "CLOUDSDK_RUN_REGION",
                        "us-central1")).build();
        assertThat(e.resolvedProject()).contains("from-env-project");
        assertThat(e.resolvedRegion()).contains("us-central1");
        assertThat(CloudRunValidation.problems(e, FLOW)).isEmpty();
        assertThat(problems(Fixtures.base().project(null).region(null))).containsExactly(
                "project: no Google Cloud project; set project, or the GOOGLE_CLOUD_PROJECT environment variable",
                "region: no Cloud Run region; set region, or GOOGLE_CLOUD_REGION (e.g. europe-west1)");
    }

    @Test
    void vpcSettingsMustFitTogether() {
        assertThat(problems(Fixtures.base().vpcEgress("ALL_TRAFFIC"))).singleElement().asString()
                .contains("vpcEgress: needs VPC access");
        assertThat(problems(Fixtures.base().vpcNetworkTags(List.of("web")))).singleElement().asString()
                .contains("only apply to Direct VPC egress");
        assertThat(problems(Fixtures.base().vpcConnector("projects/p/locations/r/connectors/Bad_Name")))
                .singleElement().asString().contains("vpcConnector:");
        assertThat(problems(Fixtures.base().vpcSubnetwork("projects/p/zones/z/subnetworks/s"))).singleElement()
                .asString().contains("vpcSubnetwork:");
    }

    @Test
    void variablesAndSecretsAreSeparateAndSecretsAreReferences() {
        assertThat(problems(Fixtures.base().env("TOKEN", "a").secret("TOKEN",
                "projects/flowport-test/secrets/token/versions/1"))).singleElement().asString()
                .contains("TOKEN is in both");
        assertThat(problems(Fixtures.base().secret("TOKEN", "projects/flowport-test/secrets/token")))
                .singleElement().asString().contains("projects/<project>/secrets/<secret>/versions/<version or latest>");
        assertThat(CloudRunValidation.problems(Fixtures.base().secret("TOKEN",
                "projects/123456789012/secrets/token/versions/latest").build(), FLOW)).isEmpty();
        assertThat(problems(Fixtures.base().env("BIG", "x".repeat(40_000)))).singleElement().asString()
                .contains("at most 32768");
    }

    @Test
    void taskCountAndParallelismAndTimeoutLimits() {
        assertThat(problems(Fixtures.base().taskCount(3).parallelism(4))).singleElement().asString()
                .contains("parallelism: must be 0 (as many as possible) to taskCount (3)");
        assertThat(problems(Fixtures.base().taskTimeout(Duration.ofMillis(500)))).singleElement().asString()
                .contains("between 1 second and 168 hours");
        assertThat(problems(Fixtures.base().maxRetries(-1))).singleElement().asString().contains("0 to 10");
    }

    @Test
    void theCommandFlowsVariablesAreCheckedToo() {
        Flow bad = Flow.command("bad", CommandSpec.of("sh").withEnv("CLOUD_RUN_JOB", "x"));
        assertThat(CloudRunValidation.problems(Fixtures.base().build(), bad)).singleElement().asString()
                .contains("the command flow's environment: CLOUD_RUN_JOB is set by Cloud Run");
    }

    @Test
    void aDefaultJobNameIsAlwaysValid() {
        Flow longName = Flow.command("A Very Long Flow Name That Goes On And On Well Beyond Sixty Three Characters",
                CommandSpec.of("sh"));
        String name = Fixtures.base().build().jobNameFor(longName);
        assertThat(name).hasSizeLessThanOrEqualTo(63).matches(CloudRunValidation.JOB_NAME);
        assertThat(Fixtures.base().build().jobNameFor(Flow.command("ETL__2024!", CommandSpec.of("sh"))))
                .isEqualTo("flowport-etl-2024");
    }

    @Test
    void aFailedOnStartCreatesNothing() {
        CloudRunJobEnvironment e = env(fixture().onStart(info -> {
            throw new IllegalStateException("not today");
        }));
        FlowRunResult r = e.execute(FLOW, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(server.writes()).isZero();
    }
}
