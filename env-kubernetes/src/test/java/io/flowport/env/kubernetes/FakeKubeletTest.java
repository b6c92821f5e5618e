package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The test kubelet's hook, used the way another module will: a subclass runs each pod's container command as a
 * local process, streams its output into the pod's log and ends the Job with its exit code. A command flow then
 * runs through {@link KubernetesJobEnvironment} end to end with nothing scripted by the test.
 */
class FakeKubeletTest {

    static final String NS = "local";

    /** Runs every pod's first container command as a local process. */
    static final class ProcessKubelet extends FakeKubelet {
        ProcessKubelet(KubernetesTestServer server) {
            super(server, NS);
        }

        @Override
        protected void onPodCreated(Pod pod) {
            String name = pod.getMetadata().getName();
            ProcessBuilder builder = new ProcessBuilder(command(pod)).redirectErrorStream(true);
            builder.environment().putAll(environment(pod));
            int code;
            try {
                Process process = builder.start();
                running(name);
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        log(name).append(line + "\n");
                    }
                }
                code = process.waitFor();
            } catch (IOException e) {
                startError(name, e.getMessage());
                code = -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (code >= 0) {
                exit(name, code, null);
            }
            Job job = pod.getMetadata().getOwnerReferences().stream().filter(o -> "Job".equals(o.getKind()))
                    .map(OwnerReference::getName).findFirst().map(this::job).orElse(null);
            if (job != null && code == 0) {
                complete(job);
            } else if (job != null) {
                fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
            }
        }
    }

    @Test
    void aSubclassRunsPodsAsLocalProcessesAndFlowsRunEndToEnd() {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh to run the pods' commands");
        try (KubernetesTestServer server = KubernetesTestServer.start();
             FakeKubelet kubelet = new ProcessKubelet(server).start();
             KubernetesJobEnvironment env = KubernetesJobEnvironment.builder().environmentVariables(Map.of())
                     .client(server.client()).namespace(NS).image("busybox:1.36").build()) {
            FlowRunResult ok = env.execute(Flow.command("greet", CommandSpec.of("/bin/sh", "-c",
                    "echo hello from $GREETING; echo run $FLOWPORT__FLOW_RUN_ID").withEnv("GREETING", "a pod")),
                    FlowRun.builder().build());
            assertThat(ok.state().type()).as(ok.state().toString()).isEqualTo(StateType.SUCCESS);
            assertThat(ok.logs().lines()).containsExactly("hello from a pod", "run " + ok.flowRunId());

            FlowRunResult failed = env.execute(Flow.command("fail", CommandSpec.of("/bin/sh", "-c",
                    "echo giving up; exit 3")), FlowRun.create());
            assertThat(failed.state().type()).isEqualTo(StateType.FAILED);
            assertThat(failed.state().message()).contains("exited with code 3");
            assertThat(failed.logs().lines()).containsExactly("giving up");
            assertThat(kubelet.namespace()).isEqualTo(NS);
        }
    }
}
