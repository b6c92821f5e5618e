package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendContractTest;
import io.flowport.core.spi.Launch;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterAll;

import java.util.Map;

/**
 * The shared backend contract, run against fabric8's mock API server in CRUD mode. Nothing runs the Jobs there,
 * so {@link FakeKubelet} writes what the Job controller and the kubelet would: the pod, its container's state,
 * the Job's conditions.
 */
class KubernetesBackendContractTest extends BackendContractTest {

    static final String NAMESPACE = "contract";

    // static: the kit's @AfterEach (which runs after any of this class) still needs the server, so each test's
    // server is closed when the next test starts, and the last one after all
    private static KubernetesTestServer server;
    private static FakeKubelet kubelet;

    @Override
    protected Backend createBackend() {
        stopServer();
        server = KubernetesTestServer.start();
        kubelet = new FakeKubelet(server, NAMESPACE).start();
        return TestBackends.backend(server.client(), NAMESPACE, KubernetesJobEnvironment.builder()
                .environmentVariables(Map.of()).image("busybox:1.36"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            kubelet.close();
            server.close();
            server = null;
        }
    }

    private Job job(Launch launch) {
        return kubelet.job(launch.id());
    }

    @Override
    protected void start(Launch launch) {
        kubelet.running(kubelet.podOf(job(launch)));
    }

    @Override
    protected void exit(Launch launch, int exitCode) {
        Job job = job(launch);
        String pod = kubelet.podOf(job);
        kubelet.log(pod).append("exiting with " + exitCode + "\n");
        kubelet.exit(pod, exitCode, null);
        if (exitCode == 0) {
            kubelet.complete(job);
        } else {
            kubelet.fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
        }
    }

    @Override
    protected void failToStart(Launch launch, String reason) {
        // the image cannot be pulled until the Job's activeDeadlineSeconds ends it
        Job job = job(launch);
        kubelet.waiting(kubelet.podOf(job), "ErrImagePull", reason);
        kubelet.fail(job, "DeadlineExceeded", "Job was active longer than specified deadline");
    }
}
