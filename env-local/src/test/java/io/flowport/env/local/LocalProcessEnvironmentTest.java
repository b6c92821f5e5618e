package io.flowport.env.local;

import io.flowport.core.CancellationToken;
import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LocalDirectoryStorage;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import io.flowport.core.ClasspathStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Runs flows in real child JVMs through the runner entry point: the serialization path end to end. */
class LocalProcessEnvironmentTest {

    private final ClasspathStorage storage = new ClasspathStorage();

    private Flow flow(String name) {
        return storage.load(name);
    }

    private FlowRun run(String name, Map<String, ?> params) {
        return FlowRun.builder().parameters(params).storage(storage, name).build();
    }

    @Test
    void runsAJavaFlowInAChildJvmWithItsParameters() {
        LocalProcessEnvironment env = LocalProcessEnvironment.builder().jvmOptions(List.of("-Xmx64m")).build();
        FlowRunResult r = env.execute(flow("local-greet"), run("local-greet", Map.of("name", "flowport")));
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs().lines()).contains("hello flowport");
        assertThat(r.logs().lines().get(r.logs().lines().size() - 1)).contains("\"event\":\"flowport.result\"");
    }

    @Test
    void aFailedRunReportsTheRunnersState() {
        FlowRunResult r = LocalProcessEnvironment.builder().build()
                .execute(flow("local-fail"), run("local-fail", Map.of()));
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("task 'boom' Failed: IllegalStateException: expected failure");
        // the runner's timeline gives the caller the task with its attempt, as if it had run here
        assertThat(r.task("boom").orElseThrow().history()).singleElement().satisfies(a -> {
            assertThat(a.state().type()).isEqualTo(StateType.FAILED);
            assertThat(a.start()).isAfterOrEqualTo(r.startedAt());
            assertThat(a.end()).isBeforeOrEqualTo(r.startedAt().plus(r.duration()));
        });
    }

    @Test
    void runsFromALocalDirectoryStorage(@TempDir Path dir) {
        LocalDirectoryStorage dirStorage = new LocalDirectoryStorage(dir);
        dirStorage.addFlow(flow("local-greet"));
        dirStorage.build();
        FlowRunResult r = LocalProcessEnvironment.builder().build().execute(flow("local-greet"),
                FlowRun.builder().storage(dirStorage, "local-greet").build());
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.logs().lines()).contains("hello world");
    }

    @Test
    void aCommandFlowRunsItsCommandAsTheProcess() {
        Flow cmd = Flow.command("shell", CommandSpec.of("sh", "-c", "echo run=$FLOWPORT__FLOW_RUN_ID; echo $X")
                .withEnv("X", "from-spec"));
        FlowRun run = FlowRun.builder().id("run-42").build();
        FlowRunResult r = LocalProcessEnvironment.builder().build().execute(cmd, run);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.logs().lines()).containsExactly("run=run-42", "from-spec");

        FlowRunResult failed = LocalProcessEnvironment.builder().build()
                .execute(Flow.command("bad", CommandSpec.of("sh", "-c", "echo broken; exit 4")), FlowRun.create());
        assertThat(failed.state().type()).isEqualTo(StateType.FAILED);
        assertThat(failed.state().message()).isEqualTo("command exited with code 4: broken");
    }

    @Test
    void cancellationKillsTheChild() {
        CancellationToken token = new CancellationToken();
        FlowRun run = FlowRun.builder().cancellation(token).storage(storage, "local-sleep").build();
        Thread canceller = new Thread(() -> {
            await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10)).until(() -> true);
            token.cancel("operator stop");
        });
        canceller.start();
        long t0 = System.nanoTime();
        FlowRunResult r = LocalProcessEnvironment.builder().build().execute(flow("local-sleep"), run);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(r.state().message()).isEqualTo("operator stop");
    }

    @Test
    void aRunTimeoutKillsTheChild() {
        FlowRun run = FlowRun.builder().timeout(Duration.ofSeconds(2)).storage(storage, "local-sleep").build();
        FlowRunResult r = LocalProcessEnvironment.builder().build().execute(flow("local-sleep"), run);
        assertThat(r.state().type()).isEqualTo(StateType.TIMED_OUT);
    }

    @Test
    void aChildThatDiesWithoutAResultCrashes() {
        FlowRunResult r = LocalProcessEnvironment.builder().jvmOptions(List.of("-Xmx1k")).build()
                .execute(flow("local-greet"), run("local-greet", Map.of()));
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).startsWith("process exited with code 1 without reporting a result");
    }

    @Test
    void validatesEverySettingBeforeStartingAnything(@TempDir Path dir) {
        LocalProcessEnvironment env = LocalProcessEnvironment.builder()
                .javaCommand(" ")
                .classpath(List.of(dir.resolve("missing.jar")))
                .workingDirectory(dir.resolve("nope"))
                .environment("FLOWPORT__FLOW_LOCATION", "x")
                .build();
        assertThatThrownBy(() -> env.execute(flow("local-greet"), FlowRun.create()))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
                        "javaCommand must not be blank; leave it unset to use this JVM's java",
                        "classpath entry " + dir.resolve("missing.jar") + " does not exist",
                        "workingDirectory " + dir.resolve("nope") + " is not a directory",
                        "environment: FLOWPORT__FLOW_LOCATION is set by Flowport for each run; remove it"));
    }

    @Test
    void serializesItsSettings() {
        LocalProcessEnvironment env = LocalProcessEnvironment.builder().jvmOptions(List.of("-Xmx64m"))
                .environment("A", "b").build();
        String json = Serialization.toJson(env);
        assertThat(json).startsWith("{\"type\":\"local-process\"").contains("\"jvmOptions\":[\"-Xmx64m\"]")
                .contains("\"environment\":{\"A\":\"b\"}");
        LocalProcessEnvironment back = (LocalProcessEnvironment) Serialization.environmentFromJson(json);
        assertThat(back.jvmOptions()).containsExactly("-Xmx64m");
        assertThat(back.environment()).containsEntry("A", "b");
    }
}
