package io.flowport.env.dask;

import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Every ending of a run leaves no scheduler and no worker running: callbacks that throw, and a driver that dies. */
@ExtendWith(RequiresDask.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TeardownIT {

    private static final Flow ECHO = Flow.builder("echo").parameter("rows", Integer.class, 1)
            .task("echo", new CommandTask(CommandSpec.of("echo", "hi"))).build();

    @AfterEach
    void nothingLeftRunning() {
        await().atMost(15, TimeUnit.SECONDS).untilAsserted(() -> assertThat(DaskProcesses.all()).isEmpty());
    }

    @Test
    void aThrowingOnExecuteFailsTheRunAndStartsNothing() {
        AtomicBoolean exitCalled = new AtomicBoolean();
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .onExecute((p, s) -> {
                    throw new IllegalStateException("no budget for a cluster today");
                })
                .onExit((info, result) -> exitCalled.set(true))
                .build();
        FlowRunResult r = env.execute(ECHO, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).isEqualTo("onExecute callback failed: java.lang.IllegalStateException: no"
                + " budget for a cluster today");
        assertThat(r.details()).doesNotContainKey("dask.scheduler");
        assertThat(exitCalled).isTrue();
        assertThat(DaskProcesses.all()).isEmpty();
    }

    @Test
    void onExecuteLeavingANonNumberFailsTheRunBeforeAnythingStarts() {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .onExecute((p, s) -> s.put("nWorkers", "three"))
                .build();
        FlowRunResult r = env.execute(ECHO, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("providerSettings (after onExecute).nWorkers must be a whole number,"
                + " was 'three' (text)");
        assertThat(DaskProcesses.all()).isEmpty();
    }

    @Test
    void aThrowingOnExitStillTearsDownAndIsRecorded() {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .onExit((info, result) -> {
                    throw new IllegalStateException("report server down");
                })
                .build();
        FlowRunResult r = env.execute(ECHO, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains("report server down"));
    }

    @Test
    void badSettingsAreRefusedBeforeAnythingStartsNamingEachOne() {
        assertThatThrownBy(() -> DaskCloudProviderEnvironment.builder().adaptiveMinWorkers(4).adaptiveMaxWorkers(2)
                .build()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("adaptiveMinWorkers (4) must be <= adaptiveMaxWorkers (2)");
        assertThatThrownBy(() -> DaskCloudProviderEnvironment.builder().adaptiveMinWorkers(-1).build())
                .hasMessageContaining("adaptiveMinWorkers must be >= 0, was -1");
        assertThatThrownBy(() -> DaskCloudProviderEnvironment.builder().executorKwargs(java.util.Map.of("concurency", 4))
                .build()).hasMessageContaining("executorKwargs.concurency is not a setting of the Dask executor (did you"
                + " mean 'concurrency'?)");

        DaskCloudProviderEnvironment unknown = DaskCloudProviderEnvironment.builder().providerClass("gcp").build();
        assertThatThrownBy(() -> unknown.execute(ECHO, FlowRun.create())).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("providerClass 'gcp' is unknown; known providers:").hasMessageContaining("local");
        DaskCloudProviderEnvironment negative = DaskCloudProviderEnvironment.builder()
                .providerSetting("nWorkers", -2).providerSetting("workerTheads", 2).build();
        assertThatThrownBy(() -> negative.execute(ECHO, FlowRun.create()))
                .hasMessageContaining("providerSettings.nWorkers must be >= 0, was -2")
                .hasMessageContaining("providerSettings.workerTheads is not a setting of providerClass 'local' (did you"
                        + " mean 'workerThreads'?)");
        assertThat(DaskProcesses.all()).isEmpty();
    }

    @Test
    void aDriverKilledWithSigkillLeavesNothingRunning() throws Exception {
        Process child = childDriver("kill");
        try {
            awaitRunning(child);
            assertThat(DaskProcesses.workers()).hasSize(2);
            assertThat(DaskProcesses.withArgument("44.44")).isNotEmpty();
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor(30, TimeUnit.SECONDS);
            await().atMost(15, TimeUnit.SECONDS).untilAsserted(() -> {
                assertThat(DaskProcesses.all()).isEmpty();
                assertThat(DaskProcesses.withArgument("44.44")).as("the task's command").isEmpty();
            });
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aDriverThatExitsTearsDownInItsShutdownHook() throws Exception {
        Process child = childDriver("exit");
        try {
            awaitRunning(child);
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(DaskProcesses.all()).isEmpty();
            assertThat(DaskProcesses.withArgument("44.44")).isEmpty();
        } finally {
            child.destroyForcibly();
        }
    }

    private static Process childDriver(String mode) throws Exception {
        Path log = Files.createTempFile("child-driver", ".log");
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ChildDriver.class.getName(), mode)
                .redirectError(log.toFile()).start();
    }

    static void awaitRunning(Process child) throws Exception {
        CompletableFuture<Boolean> running = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.equals("RUNNING")) {
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(running.get(90, TimeUnit.SECONDS)).as("the child driver's cluster ran").isTrue();
        await().atMost(30, TimeUnit.SECONDS).until(() -> !DaskProcesses.withArgument("44.44").isEmpty());
    }

}
