package io.flowport.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class CommandTaskTest {

    @Test
    void capturesOutputExitCodeEnvironmentAndWorkingDirectory(@TempDir Path dir) throws Exception {
        CommandSpec spec = new CommandSpec(List.of("sh", "-c", "echo \"$GREETING from $(pwd)\"; echo oops >&2"),
                Map.of("GREETING", "hello"), dir, null);
        FlowRunResult r = Executor.sequential().execute(Flow.command("cmd", spec), FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        CommandResult out = (CommandResult) r.result("command").orElseThrow();
        assertThat(out.exitCode()).isZero();
        assertThat(out.stdout()).isEqualTo("hello from " + dir.toRealPath() + "\n");
        assertThat(out.stderr()).isEqualTo("oops\n");
    }

    @Test
    void aNonZeroExitFailsTheTaskWithTheCodeAndLastErrorLine() {
        Flow flow = Flow.command("cmd", CommandSpec.of("sh", "-c", "echo first >&2; echo 'no such table' >&2; exit 7"));
        FlowRunResult r = Executor.sequential().execute(flow, FlowRun.create());
        TaskRun t = r.task("command").orElseThrow();
        assertThat(t.state().type()).isEqualTo(StateType.FAILED);
        assertThat(t.state().message()).isEqualTo(
                "CommandFailedException: command 'sh' exited with code 7: no such table");
        assertThat(((CommandFailedException) t.state().cause()).result().exitCode()).isEqualTo(7);
    }

    @Test
    void aTimeoutKillsTheWholeProcessTree(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("child.pid");
        // the shell starts a grandchild that would outlive a naive kill of the shell alone
        CommandSpec spec = CommandSpec.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait")
                .withTimeout(Duration.ofMillis(500));
        FlowRunResult r = Executor.sequential().execute(Flow.command("cmd", spec), FlowRun.create());
        assertThat(r.task("command").orElseThrow().state().type()).isEqualTo(StateType.TIMED_OUT);
        assertThat(r.task("command").orElseThrow().state().message())
                .isEqualTo("command 'sh' timed out after PT0.5S; its process tree was killed");
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        await().atMost(Duration.ofSeconds(5))
                .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void cancellationKillsTheProcessTree(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("child.pid");
        CommandSpec spec = CommandSpec.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait");
        CancellationToken token = new CancellationToken();
        Thread t = new Thread(() -> {
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
            token.cancel("stop it");
        });
        t.start();
        FlowRunResult r = Executor.sequential().execute(Flow.command("cmd", spec),
                FlowRun.builder().cancellation(token).build());
        t.join();
        assertThat(r.state()).isEqualTo(State.cancelled("stop it"));
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        await().atMost(Duration.ofSeconds(5))
                .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void aMissingProgramFailsClearly() {
        FlowRunResult r = Executor.sequential().execute(
                Flow.command("cmd", CommandSpec.of("/no/such/program")), FlowRun.create());
        assertThat(r.task("command").orElseThrow().state().message())
                .startsWith("IOException: Cannot run program \"/no/such/program\"");
    }
}
