package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Bad input is refused before any API call, with every problem at once, each naming the field and the fix.
 * A mock API server (expectations mode, nothing expected) is wired in, and must see no request.
 */
@EnableKubernetesMockClient(https = false)
class KubernetesJobValidationTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    private final Flow flow = Flow.command("hello", CommandSpec.of("echo", "hi"));

    private KubernetesJobEnvironment.Builder builder() {
        return KubernetesJobEnvironment.builder().environmentVariables(Map.of()).client(client);
    }

    private KubernetesJobEnvironment.Builder withSpec(String yaml) throws IOException {
        Path file = dir.resolve("job.yaml");
        Files.writeString(file, yaml);
        return builder().jobSpecFile(file);
    }

    /** The problems found by execute(), which must throw before calling the API server. */
    private List<String> problems(KubernetesJobEnvironment.Builder b) {
        KubernetesJobEnvironment env = b.build();
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> env.execute(flow, FlowRun.create()));
        assertThat(e).as("execute() must refuse the settings").isNotNull();
        assertThat(server.getRequestCount()).as("API calls before validation failed").isZero();
        return e.problems();
    }

    private static final String VALID = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: nightly
            spec:
              template:
                spec:
                  containers:
                    - name: flow
                      image: registry.example.com/flows:1.0
            """;

    @Test
    void aValidSpecHasNoProblems() throws IOException {
        KubernetesJobEnvironment env = withSpec(VALID).build();
        assertThat(env.validate(flow)).isEmpty();
    }

    @Test
    void yamlThatDoesNotParseNamesTheLine() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: batch/v1
                kind: Job
                spec:
                  template: [unclosed
                    spec: {}
                """));
        assertThat(problems).singleElement().asString()
                .contains("jobSpecFile " + dir.resolve("job.yaml"))
                .contains("the YAML does not parse at line")
                .matches("(?s).*line [4-6].*");
    }

    @Test
    void aSpecOfAnotherKindOrApiVersionIsRefused() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: v1
                kind: Pod
                spec:
                  containers:
                    - name: flow
                      image: busybox
                """));
        assertThat(problems)
                .anyMatch(p -> p.contains("apiVersion must be 'batch/v1', was 'v1'"))
                .anyMatch(p -> p.contains("kind must be 'Job', was 'Pod'"));
    }

    @Test
    void aCronJobGetsAHint() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: batch/v1
                kind: CronJob
                spec: {}
                """));
        assertThat(problems).anyMatch(p -> p.contains("kind must be 'Job', was 'CronJob'")
                && p.contains("spec.jobTemplate"));
    }

    @Test
    void missingApiVersionAndKindAreReported() throws IOException {
        List<String> problems = problems(withSpec("""
                spec:
                  template:
                    spec:
                      containers:
                        - name: flow
                          image: busybox
                """));
        assertThat(problems)
                .anyMatch(p -> p.contains("apiVersion is missing"))
                .anyMatch(p -> p.contains("kind is missing"));
    }

    @Test
    void aSpecWithoutContainersIsRefused() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: batch/v1
                kind: Job
                spec:
                  template:
                    spec:
                      containers: []
                """));
        assertThat(problems).singleElement().asString()
                .contains("spec.template.spec.containers is empty").contains("the first one runs the flow");
    }

    @Test
    void aValueOfTheWrongTypeNamesItsPathAndLine() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: batch/v1
                kind: Job
                spec:
                  backoffLimit: lots
                  template:
                    spec:
                      containers:
                        - name: flow
                          image: busybox
                """));
        assertThat(problems).singleElement().asString()
                .contains("spec.backoffLimit has an unexpected value at line 4");
    }

    @Test
    void severalDocumentsAndEmptyFilesAreRefused() throws IOException {
        assertThat(problems(withSpec(VALID + "---\n" + VALID)))
                .anyMatch(p -> p.contains("holds 2 YAML documents; expected exactly one Job"));
        assertThat(problems(withSpec("# nothing here\n")))
                .anyMatch(p -> p.contains("is empty; expected a batch/v1 Job"));
        assertThat(problems(withSpec("- a\n- b\n")))
                .anyMatch(p -> p.contains("expected a mapping describing a batch/v1 Job, found a list"));
    }

    @Test
    void aMissingSpecFileIsReported() {
        List<String> problems = problems(builder().jobSpecFile(dir.resolve("nope.yaml")));
        assertThat(problems).singleElement().asString()
                .contains("jobSpecFile " + dir.resolve("nope.yaml") + " does not exist");
    }

    @Test
    void invalidNamesAndLabelsAreReported() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: batch/v1
                kind: Job
                metadata:
                  name: Nightly_ETL
                  labels:
                    team: data platform
                    "-bad": x
                    flowport.io/flow-run-id: mine
                spec:
                  template:
                    metadata:
                      labels:
                        tier: "%%"
                    spec:
                      containers:
                        - name: Flow
                          image: busybox
                """));
        assertThat(problems)
                .anyMatch(p -> p.contains("metadata.name 'Nightly_ETL' is not a valid DNS-1123 label")
                        && p.contains("'nightly-etl'"))
                .anyMatch(p -> p.contains("value 'data platform' of label 'team' is invalid"))
                .anyMatch(p -> p.contains("label key '-bad' is invalid"))
                .anyMatch(p -> p.contains("label 'flowport.io/flow-run-id' is set by Flowport for each run"))
                .anyMatch(p -> p.contains("spec.template.metadata.labels: value '%%' of label 'tier'"))
                .anyMatch(p -> p.contains("containers[0].name 'Flow' is not a valid DNS-1123 label"));
    }

    @Test
    void aJobNameTooLongForItsPodsIsRefused() throws IOException {
        String name = "a".repeat(53);
        List<String> problems = problems(withSpec(VALID.replace("nightly", name)));
        assertThat(problems).singleElement().asString()
                .contains("metadata.name '" + name + "' is 53 characters long; at most 52 are allowed");
    }

    @Test
    void badResourceQuantitiesAreReported() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: batch/v1
                kind: Job
                spec:
                  template:
                    spec:
                      containers:
                        - name: flow
                          image: busybox
                          resources:
                            limits:
                              memory: lots
                """).request("cpu", "half").request("memory", "2Gi").limit("memory", "1Gi").request("bad name!", "1"));
        assertThat(problems)
                .anyMatch(p -> p.contains("containers[0].resources.limits.memory: 'lots' is not a valid quantity"))
                .anyMatch(p -> p.contains("resources.requests.cpu: 'half' is not a valid quantity")
                        && p.contains("500m"))
                .anyMatch(p -> p.contains("the memory request 2Gi is above its limit 1Gi"))
                .anyMatch(p -> p.contains("'bad name!' is not a valid resource name"));
    }

    @Test
    void aJobSpecThatKubernetesWouldRejectIsReported() throws IOException {
        List<String> problems = problems(withSpec("""
                apiVersion: batch/v1
                kind: Job
                metadata:
                  generateName: nightly-
                spec:
                  parallelism: 3
                  backoffLimit: -1
                  template:
                    spec:
                      restartPolicy: Always
                      containers:
                        - name: flow
                          image: busybox
                          env:
                            - name: FLOWPORT__FLOW_RUN_ID
                              value: fixed
                            - name: "1BAD"
                              value: x
                        - name: sidecar
                """));
        assertThat(problems)
                .anyMatch(p -> p.contains("metadata.generateName is not supported"))
                .anyMatch(p -> p.contains("spec.parallelism is 3; a flow run is one pod"))
                .anyMatch(p -> p.contains("spec.backoffLimit must be >= 0, was -1"))
                .anyMatch(p -> p.contains("restartPolicy 'Always' is not allowed for a Job; use Never"))
                .anyMatch(p -> p.contains("FLOWPORT__FLOW_RUN_ID is set by Flowport for each run; remove it"))
                .anyMatch(p -> p.contains("'1BAD' is not a valid environment variable name"))
                .anyMatch(p -> p.contains("containers[1].image is missing"));
    }

    @Test
    void theFlowContainerNeedsAnImage() {
        List<String> problems = problems(builder());
        assertThat(problems).singleElement().asString()
                .contains("no image for the flow's container: set 'image' (or FLOWPORT_KUBERNETES_IMAGE)");
    }

    @Test
    void invalidSettingsAreReportedAllAtOnce() {
        KubernetesJobEnvironment env = builder()
                .image("my image")
                .namespace("Team_A")
                .serviceAccount("runner!")
                .imagePullSecrets("ok-secret", "Bad_Secret")
                .ttlSecondsAfterFinished(-5)
                .startTimeout(Duration.ZERO)
                .build();
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> env.execute(flow, FlowRun.create()));
        assertThat(e.problems()).hasSize(6);
        assertThat(e.getMessage()).contains("KubernetesJobEnvironment: 6 problems:")
                .contains("image 'my image' is not a valid image reference")
                .contains("namespace 'Team_A' is not a valid DNS-1123 label")
                .contains("serviceAccount 'runner!' is not a valid DNS-1123 subdomain")
                .contains("imagePullSecrets[1] 'Bad_Secret'")
                .contains("ttlSecondsAfterFinished must be >= 0 (seconds), was -5")
                .contains("startTimeout must be a positive duration");
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void aNamespaceThatDiffersFromTheSpecsIsReported() throws IOException {
        List<String> problems = problems(withSpec(VALID.replace("  name: nightly", "  name: nightly\n  namespace: a"))
                .namespace("b"));
        assertThat(problems).singleElement().asString()
                .contains("namespace 'b' differs from metadata.namespace 'a'").contains("set only one of them");
    }

    @Test
    void malformedEnvironmentVariablesNameTheVariable() {
        KubernetesJobEnvironment env = KubernetesJobEnvironment.builder().client(client)
                .environmentVariables(Map.of(
                        "FLOWPORT_KUBERNETES_IMAGE", "busybox",
                        "FLOWPORT_KUBERNETES_UNIQUE_JOB_NAME", "maybe",
                        "FLOWPORT_KUBERNETES_TTL_SECONDS_AFTER_FINISHED", "an hour",
                        "FLOWPORT_KUBERNETES_START_TIMEOUT", "soon",
                        "FLOWPORT_KUBERNETES_RESOURCES_REQUESTS", "cpu"))
                .build();
        assertThatThrownBy(() -> env.setup(flow))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("FLOWPORT_KUBERNETES_UNIQUE_JOB_NAME must be true or false, was 'maybe'")
                .hasMessageContaining("FLOWPORT_KUBERNETES_TTL_SECONDS_AFTER_FINISHED must be a whole number")
                .hasMessageContaining("FLOWPORT_KUBERNETES_START_TIMEOUT must be seconds or an ISO-8601 duration")
                .hasMessageContaining("FLOWPORT_KUBERNETES_RESOURCES_REQUESTS must be a list like"
                        + " 'cpu=500m,memory=1Gi', found 'cpu'");
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void environmentVariablesGiveDefaultsAndBuilderValuesWin() {
        KubernetesJobEnvironment env = KubernetesJobEnvironment.builder()
                .environmentVariables(Map.of(
                        "FLOWPORT_KUBERNETES_IMAGE", "busybox:1",
                        "FLOWPORT_KUBERNETES_NAMESPACE", "flows",
                        "FLOWPORT_KUBERNETES_UNIQUE_JOB_NAME", "false",
                        "FLOWPORT_KUBERNETES_IMAGE_PULL_SECRETS", "a, b",
                        "FLOWPORT_KUBERNETES_RESOURCES_LIMITS", "memory=1Gi",
                        "FLOWPORT_KUBERNETES_TTL_SECONDS_AFTER_FINISHED", "600",
                        "FLOWPORT_KUBERNETES_START_TIMEOUT", "90"))
                .namespace("mine")
                .build();
        assertThat(env.image()).isEqualTo("busybox:1");
        assertThat(env.namespace()).isEqualTo("mine");
        assertThat(env.uniqueJobName()).isFalse();
        assertThat(env.imagePullSecrets()).containsExactly("a", "b");
        assertThat(env.resources().limits()).containsEntry("memory", "1Gi");
        assertThat(env.ttlSecondsAfterFinished()).isEqualTo(600);
        assertThat(env.startTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(env.validate(flow)).isEmpty();
    }
}
