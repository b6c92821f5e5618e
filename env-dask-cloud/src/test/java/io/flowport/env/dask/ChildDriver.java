package io.flowport.env.dask;

import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;

/**
 * A driver JVM for the teardown tests: runs a flow whose command runs for a long time on a local Dask cluster and
 * prints {@code RUNNING} once the cluster is up. With argument {@code exit} it then calls {@code System.exit}
 * (the shutdown hook must tear the cluster down); otherwise it waits to be killed.
 */
public final class ChildDriver {

    private ChildDriver() {
    }

    public static void main(String[] args) {
        boolean exit = args.length > 0 && args[0].equals("exit");
        Flow flow = Flow.builder("child").task("long", new CommandTask(CommandSpec.of("sleep", "44.44"))).build();
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void runPhaseChanged(FlowRun r, PhaseChange change) {
                if (change.phase() == RunPhase.RUNNING) {
                    System.out.println("RUNNING");
                    System.out.flush();
                    if (exit) {
                        new Thread(() -> {
                            try {
                                Thread.sleep(5_000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            System.exit(0);
                        }).start();
                    }
                }
            }
        }).build();
        DaskCloudProviderEnvironment.Builder env = DaskCloudProviderEnvironment.builder().providerSetting("nWorkers", 2);
        if (args.length > 1 && args[0].equals("ecs")) {
            // args: ecs <endpoint> <schedulerPort> <dashboardPort>; the scheduler closes 5 s after its driver died
            System.setProperty("aws.accessKeyId", "AKIDDASK");
            System.setProperty("aws.secretAccessKey", "dask-secret");
            env.providerClass("fargate").driver("local").idleTimeout(java.time.Duration.ofSeconds(5)).providerSettings(java.util.Map.of(
                    "image", "ghcr.io/dask/dask:2022.12.1", "regionName", "us-east-1", "endpointOverride", args[1],
                    "cluster", "dask", "subnets", java.util.List.of("subnet-0123456789abcdef0"),
                    "executionRoleArn", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
                    "pythonExecutable", DaskExecutor.DEFAULT_PYTHON, "schedulerPort", Integer.parseInt(args[2]),
                    "dashboardPort", Integer.parseInt(args[3]), "statusPollInterval", "PT0.1S"));
        }
        env.build().execute(flow, run);
    }
}
