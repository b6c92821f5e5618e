package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Where the cluster comes from when no client is given: fabric8's own discovery ({@code Config.autoConfigure}),
 * steered here through fabric8's system properties, which win over the environment variables of the same name.
 */
class ClusterConfigurationTest {

    @TempDir
    Path dir;

    private final Map<String, String> saved = new HashMap<>();

    @BeforeEach
    void nothingFromThisMachine() {
        // discovery would find a cluster this process runs in; the properties below cannot switch that off
        assumeTrue(System.getenv("KUBERNETES_MASTER") == null && System.getenv("KUBERNETES_SERVICE_HOST") == null,
                "this JVM runs with KUBERNETES_MASTER or KUBERNETES_SERVICE_HOST set: fabric8 finds that cluster"
                        + " whatever the test says");
        set(Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "false");
        set(Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY, "false");
        set(Config.KUBERNETES_MASTER_SYSTEM_PROPERTY, null);
        set(Config.KUBERNETES_KUBECONFIG_FILE, null);
        set(Config.KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN_FILE_SYSTEM_PROPERTY, null);
    }

    @AfterEach
    void restore() {
        saved.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    private void set(String key, String value) {
        saved.putIfAbsent(key, System.getProperty(key));
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private static KubernetesJobEnvironment env() {
        return KubernetesJobEnvironment.builder().environmentVariables(Map.of()).image("busybox:1.36").build();
    }

    private static Flow flow() {
        return Flow.command("hello", CommandSpec.of("echo", "hi"));
    }

    @Test
    void withoutAnyConfigurationARunFailsAtOnceWithWhatToSet() {
        assertThat(KubernetesJobEnvironment.clusterConfigured()).isFalse();
        try (KubernetesJobEnvironment env = env()) {
            FlowRunResult r = env.execute(flow(), FlowRun.create());
            assertThat(r.state().type()).isEqualTo(StateType.FAILED);
            assertThat(r.state().message()).contains("no Kubernetes configuration found: set KUBECONFIG");
        }
    }

    @Test
    void aMasterUrlIsAConfiguration() {
        set(Config.KUBERNETES_MASTER_SYSTEM_PROPERTY, "https://10.0.0.1:6443");
        assertThat(KubernetesJobEnvironment.clusterConfigured()).isTrue();
    }

    @Test
    void aServiceAccountTokenIsAConfiguration() throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "a-service-account-token");
        set(Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY, "true");
        set(Config.KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN_FILE_SYSTEM_PROPERTY, token.toString());
        assertThat(KubernetesJobEnvironment.clusterConfigured()).isTrue();
    }

    @Test
    void aKubeconfigThatCannotBeReadIsReportedWhenARunStarts() throws IOException {
        Path broken = Files.writeString(dir.resolve("config"), "clusters: [this is: not: yaml");
        set(Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "true");
        set(Config.KUBERNETES_KUBECONFIG_FILE, broken.toString());
        assertThat(KubernetesJobEnvironment.clusterConfigured()).as("present, so not 'missing'").isTrue();
        try (KubernetesJobEnvironment env = env()) {
            FlowRunResult r = env.execute(flow(), FlowRun.create());
            assertThat(r.state().type()).isEqualTo(StateType.FAILED);
            assertThat(r.state().message()).contains("cannot read the Kubernetes configuration");
        }
    }

    @Test
    void theKubeconfigFabric8FindsIsTheClusterRunsGoTo() throws Exception {
        try (KubernetesTestServer server = KubernetesTestServer.start();
             FakeKubelet kubelet = new FakeKubelet(server, "from-kubeconfig").start()) {
            String url = server.url().replaceAll("/$", "");
            Path config = Files.writeString(dir.resolve("config"), """
                    apiVersion: v1
                    kind: Config
                    clusters:
                      - name: test
                        cluster: {server: "%s"}
                    users:
                      - name: test
                        user: {token: not-a-real-token}
                    contexts:
                      - name: test
                        context: {cluster: test, user: test, namespace: from-kubeconfig}
                    current-context: test
                    """.formatted(url));
            set(Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "true");
            set(Config.KUBERNETES_KUBECONFIG_FILE, config.toString());
            assertThat(KubernetesJobEnvironment.clusterConfigured()).isTrue();

            try (KubernetesJobEnvironment env = env()) {
                FlowRun run = FlowRun.create();
                CompletableFuture<FlowRunResult> result = env.submit(flow(), run);
                Job job = kubelet.awaitJob(run.id());
                String pod = kubelet.podOf(job);
                kubelet.running(pod);
                kubelet.exit(pod, 0, null);
                kubelet.complete(job);
                assertThat(result.get(30, TimeUnit.SECONDS).state().type()).isEqualTo(StateType.SUCCESS);
                assertThat(env.backend().namespace()).as("the context's namespace").isEqualTo("from-kubeconfig");
            }
        }
    }
}
