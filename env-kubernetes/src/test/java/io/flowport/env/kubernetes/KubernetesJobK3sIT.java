package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real Jobs on a real (single-node K3s) cluster: a command flow succeeds with its output as logs, a non-zero exit
 * fails with the exit code, and cleanup deletes the finished Jobs. Skipped where Docker is not available; the
 * same behaviour is tested against the mock API server by {@link KubernetesJobEnvironmentTest}.
 */
@Testcontainers(disabledWithoutDocker = true)
class KubernetesJobK3sIT {

    @Container
    static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));

    static KubernetesClient client;

    @BeforeAll
    static void connect() {
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml())).build();
    }

    @AfterAll
    static void disconnect() {
        if (client != null) {
            client.close();
        }
    }

    private KubernetesJobEnvironment env() {
        return KubernetesJobEnvironment.builder().environmentVariables(Map.of()).client(client)
                .namespace("default").image("busybox:1.36").startTimeout(Duration.ofMinutes(3)).build();
    }

    @Test
    void aCommandFlowRunsAsAJobWithItsLogs() {
        try (KubernetesJobEnvironment env = env()) {
            FlowRunResult r = env.execute(Flow.command("hello", CommandSpec.of("sh", "-c", "echo hello from k3s")),
                    FlowRun.create());
            assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
            assertThat(r.logs().lines()).contains("hello from k3s");

            FlowRunResult failed = env.execute(Flow.command("fail", CommandSpec.of("sh", "-c", "exit 3")),
                    FlowRun.create());
            assertThat(failed.state().type()).isEqualTo(StateType.FAILED);
            assertThat(failed.state().message()).contains("exited with code 3");

            assertThat(env.deleteFinishedJobs(Duration.ZERO)).hasSizeGreaterThanOrEqualTo(2);
            assertThat(env.backend().find(Labels.managed())).isEmpty();
        }
    }
}
