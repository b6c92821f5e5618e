package io.flowport.examples.kubernetes;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.env.kubernetes.KubernetesJobEnvironment;

import java.time.Duration;

/**
 * Runs a command flow as a Kubernetes Job on the cluster of your kubeconfig (or the pod's service account), prints
 * its state and its pod's log, then deletes the finished Jobs Flowport created more than a minute ago. The image
 * needs no JVM: a command flow runs as the container's own command.
 *
 * <p>Settings come from the builder or from {@code FLOWPORT_KUBERNETES_*} variables, e.g.
 * {@code FLOWPORT_KUBERNETES_NAMESPACE=flows}. Without a cluster configuration it says so and exits.
 */
public final class KubernetesJobExample {

    private KubernetesJobExample() {
    }

    /** Runs the example; exits with 0 on success, 1 on another final state, 2 without a cluster. */
    public static void main(String[] args) {
        if (!KubernetesJobEnvironment.clusterConfigured()) {
            System.out.println("No Kubernetes cluster configured (set KUBECONFIG, create ~/.kube/config, or run in a"
                    + " pod with a service account); nothing to run.");
            System.exit(2);
            return;
        }
        Flow flow = Flow.command("hello-kubernetes",
                CommandSpec.of("sh", "-c", "echo \"hello from $(hostname), run $FLOWPORT__FLOW_RUN_ID\""));
        int code;
        try (KubernetesJobEnvironment env = KubernetesJobEnvironment.builder()
                .image("busybox:1.36")
                .request("cpu", "100m")
                .limit("memory", "64Mi")
                .startTimeout(Duration.ofMinutes(3))
                .onExit((info, result) -> System.out.println("onExit: " + info.flow().name() + " ended "
                        + result.state().type()))
                .build()) {
            FlowRunResult result = env.execute(flow, FlowRun.create());
            System.out.println(result.state());
            System.out.println("logs (" + result.logs().location() + "):");
            result.logs().lines().forEach(line -> System.out.println("  " + line));
            System.out.println("deleted finished Jobs: " + env.deleteFinishedJobs(Duration.ofMinutes(1)).size());
            code = result.isSuccess() ? 0 : 1;
        }
        System.exit(code);
    }
}
