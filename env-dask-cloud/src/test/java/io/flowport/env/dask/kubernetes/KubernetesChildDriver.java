package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;

import java.time.Duration;
import java.util.Map;

/**
 * A driver JVM for the teardown tests: runs a flow on a DaskKubernetesEnvironment against the parent's API server
 * (argument 1) and prints {@code RUNNING} once the cluster is up; the flow then waits in a Java task (so the
 * cluster is idle but for the driver's heartbeat). With argument {@code exit} (argument 2) it calls
 * {@code System.exit} (the shutdown hook must delete the cluster); otherwise it waits to be killed.
 */
public final class KubernetesChildDriver {

    private KubernetesChildDriver() {
    }

    public static void main(String[] args) {
        String url = args[0];
        boolean exit = args.length > 1 && args[1].equals("exit");
        KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url)
                .withNamespace(DaskKubernetesIT.NS).build()).build();
        Flow flow = Flow.builder("child")
                .task("hello", new CommandTask(CommandSpec.of("echo", "hello")))
                .task("wait").after("hello").run(ctx -> {
                    Thread.sleep(180_000);
                    return "done";
                }).build();
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void runPhaseChanged(FlowRun r, PhaseChange change) {
                if (change.phase() == RunPhase.RUNNING) {
                    System.out.println("RUNNING");
                    System.out.flush();
                    if (exit) {
                        Thread t = new Thread(() -> {
                            try {
                                Thread.sleep(3_000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            System.exit(0);
                        });
                        t.start();
                    }
                }
            }
        }).build();
        DaskKubernetesEnvironment.builder().environmentVariables(Map.of())
                .platformProvider(KubernetesDaskPlatform.provider(client)).namespace(DaskKubernetesIT.NS)
                .podPython("/usr/bin/python3").minWorkers(2).maxWorkers(2)
                // a scheduler whose driver is gone ends after this long without a task
                .idleTimeout(Duration.ofSeconds(6))
                .build().execute(flow, run);
    }
}
