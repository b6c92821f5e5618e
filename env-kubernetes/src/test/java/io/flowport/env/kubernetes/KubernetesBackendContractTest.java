package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendContractTest;
import io.flowport.core.spi.Launch;

/**
 * The shared backend contract, run against fabric8's mock API server in CRUD mode. Nothing runs the Jobs there,
 * so {@link FakeKubelet} writes what the Job controller and the kubelet would: the pod, its container's state,
 * the Job's conditions.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesBackendContractTest extends BackendContractTest {

    static final String NAMESPACE = "contract";

    KubernetesMockServer server;
    KubernetesClient client;
    private FakeKubelet kubelet;

    @Override
    protected Backend createBackend() {
        kubelet = new FakeKubelet(client, NAMESPACE, server);
        return TestBackends.backend(client, NAMESPACE, KubernetesJobEnvironment.builder()
                .environmentVariables(java.util.Map.of()).image("busybox:1.36"));
    }

    private Job job(Launch launch) {
        return kubelet.job(launch.id());
    }

    @Override
    protected void start(Launch launch) {
        kubelet.run(job(launch));
    }

    @Override
    protected void exit(Launch launch, int exitCode) {
        Job job = job(launch);
        kubelet.exit(job, exitCode, null);
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
        kubelet.waiting(job, "ErrImagePull", reason);
        kubelet.fail(job, "DeadlineExceeded", "Job was active longer than specified deadline");
    }
}
