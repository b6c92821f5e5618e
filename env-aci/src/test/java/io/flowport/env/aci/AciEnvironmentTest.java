package io.flowport.env.aci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.CancellationToken;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Runs through {@link ContainerInstanceEnvironment} end to end: logs, deletion, cancellation, secrets. */
class AciEnvironmentTest extends WithLocalArm {

    @Test
    void aRunSucceedsWithItsLogsAndLeavesNothingBehind() {
        server.autoRun(Duration.ofMillis(100), Duration.ofMillis(200));
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        FlowRunResult r = env.execute(shell("hello", "echo hello; echo world; exit 0"), FlowRun.create());

        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.state().message()).contains("exited with code 0");
        assertThat(r.logs().lines()).containsExactly("hello", "world");
        assertThat(r.logs().location()).contains("flows/flowport-").contains("deleted after the run");
        assertThat(server.groupNames()).as("container groups left").isEmpty();
        assertThat(server.calls("Put")).isEqualTo(1);
        assertThat(server.calls("Delete")).isEqualTo(1);
        assertThat(server.restarts()).isZero();
    }

    @Test
    void aFailedRunCarriesTheExitCodeAndTheGroupIsDeleted() {
        server.autoRun(Duration.ofMillis(50), Duration.ofMillis(100));
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        FlowRunResult r = env.execute(shell("fails", "echo boom; exit 3"), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("exited with code 3").contains("Error");
        assertThat(r.logs().lines()).containsExactly("boom");
        assertThat(server.groupNames()).isEmpty();
    }

    @Test
    void keptGroupsStayAndTheirLogsAreReadWithTail() {
        server.autoRun(Duration.ofMillis(50), Duration.ofMillis(100));
        ContainerInstanceEnvironment env = env(Fixtures.env(server).keepContainerGroup(true));
        FlowRun run = FlowRun.create();
        FlowRunResult r = env.execute(shell("kept", "echo one; echo two; echo three"), run);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(server.groupNames()).containsExactly(env.groupNameFor(run.id()));
        assertThat(server.calls("Delete")).isZero();

        AciRunLogs logs = (AciRunLogs) r.logs();
        int before = server.calls("Logs");
        assertThat(logs.tail(2)).containsExactly("two", "three");
        assertThat(server.callLog()).filteredOn(c -> c.operation().equals("Logs"))
                .anyMatch(c -> "2".equals(c.query().get("tail")));
        assertThat(server.calls("Logs")).isEqualTo(before + 1);
        assertThat(logs.lines()).containsExactly("one", "two", "three");
    }

    @Test
    void cancellingARunStopsAndDeletesItsGroup() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        CancellationToken token = new CancellationToken();
        FlowRun run = FlowRun.builder().cancellation(token).build();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() ->
                env.execute(shell("long", "sleep 3600"), run));
        String name = awaitGroup(env, run);
        server.start(name);
        await().atMost(10, TimeUnit.SECONDS).until(() -> server.calls("Get") > 1); // followed while running
        token.cancel("user asked");
        FlowRunResult r = f.orTimeout(30, TimeUnit.SECONDS).join();

        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(r.state().message()).contains("user asked");
        assertThat(server.calls("Stop")).isEqualTo(1);
        assertThat(server.calls("Delete")).isEqualTo(1);
        assertThat(server.groupNames()).isEmpty();
    }

    @Test
    void cancellingTheFutureOfASubmittedRunStopsItAndDeletesItsGroup() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = env.submit(shell("long", "sleep 3600"), run);
        String name = awaitGroup(env, run);
        server.start(name);
        assertThat(f.cancel(true)).isTrue();
        await().atMost(30, TimeUnit.SECONDS).until(() -> server.groupNames().isEmpty());
        await().atMost(30, TimeUnit.SECONDS).until(() -> env.runsInFlight() == 0);
        assertThat(server.calls("Delete")).isEqualTo(1);
        assertThat(f).isCancelled();
    }

    @Test
    void closingTheEnvironmentLeavesRunningGroupsToBeResumedAndResumingDeletesThemAtTheEnd() {
        ContainerInstanceEnvironment first = Fixtures.env(server).build();
        FlowRun run = FlowRun.create();
        Flow flow = shell("resumable", "sleep 3600");
        CompletableFuture<FlowRunResult> f = first.submit(flow, run);
        String name = awaitGroup(first, run);
        server.start(name);
        await().atMost(10, TimeUnit.SECONDS).until(() -> server.calls("Get") > 1);
        first.close();
        FlowRunResult closed = f.orTimeout(30, TimeUnit.SECONDS).join();
        assertThat(closed.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(closed.state().message()).contains("left running");
        assertThat(server.groupNames()).as("a group left running is not deleted").containsExactly(name);
        assertThat(server.calls("Stop")).isZero();

        ContainerInstanceEnvironment second = env(Fixtures.env(server));
        CompletableFuture<FlowRunResult> resumed = second.resume(flow, run);
        await().atMost(10, TimeUnit.SECONDS).until(() -> second.runsInFlight() == 1);
        server.log(name, "resumed and done");
        server.exit(name, 0);
        FlowRunResult r = resumed.orTimeout(30, TimeUnit.SECONDS).join();
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs().lines()).containsExactly("resumed and done");
        assertThat(server.calls("Put")).as("resuming sends no second create").isEqualTo(1);
        assertThat(server.groupNames()).isEmpty();
    }

    @Test
    void submittedRunsAreDeletedToo() {
        server.autoRun(Duration.ofMillis(50), Duration.ofMillis(50));
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        List<CompletableFuture<FlowRunResult>> futures = new ArrayList<>();
        Flow flow = shell("many", "echo hi");
        for (int i = 0; i < 5; i++) {
            futures.add(env.submit(flow, FlowRun.create()));
        }
        for (CompletableFuture<FlowRunResult> f : futures) {
            FlowRunResult r = f.orTimeout(30, TimeUnit.SECONDS).join();
            assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
            assertThat(r.logs().lines()).containsExactly("hi");
        }
        assertThat(server.groupNames()).isEmpty();
        assertThat(server.calls("Put")).isEqualTo(5);
    }

    @Test
    void aDeleteThatDoesNotFinishInTimeIsAWarningAndTheRunKeepsItsState() {
        server.autoRun(Duration.ofMillis(50), Duration.ofMillis(50));
        server.deleteDuration(Duration.ofSeconds(30));
        ContainerInstanceEnvironment env = env(Fixtures.env(server).deleteTimeout(Duration.ofMillis(600))
                .lroPollInterval(Duration.ofMillis(100)));
        FlowRunResult r = env.execute(shell("slowdelete", "echo hi"), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.warnings()).anyMatch(w -> w.contains("was not deleted") && w.contains("PT0.6S")
                && w.contains("BackendCleaner"));
        assertThat(server.calls("OperationResult")).isBetween(2, 12);
    }

    @Test
    void secretsReachTheContainerOnlyAsSecureValuesAndNowhereElse() throws Exception {
        String literal = "literal-secret-given-in-code";
        server.autoRun(Duration.ofMillis(50), Duration.ofMillis(100));
        ContainerInstanceEnvironment env = env(Fixtures.env(server)
                .environmentVariable("MODE", "prod")
                .secureEnvironmentVariableFrom("DB_PASSWORD", "env:DB_PASSWORD")
                .secureEnvironmentVariable("API_KEY", literal)
                .imageRegistryCredential(RegistryCredential.password("ghcr.io", "bot", "env:REGISTRY_TOKEN")));
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        FlowRunResult r;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            r = env.execute(shell("secret", "echo using the database"), FlowRun.create());
        } finally {
            System.setErr(err);
        }
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);

        List<String> puts = server.putBodies();
        assertThat(puts).hasSize(1);
        JsonNode body = new ObjectMapper().readTree(puts.get(0));
        JsonNode vars = body.at("/properties/containers/0/properties/environmentVariables");
        assertThat(var(vars, "DB_PASSWORD").path("secureValue").asText()).isEqualTo(Fixtures.SECRET);
        assertThat(var(vars, "DB_PASSWORD").has("value")).isFalse();
        assertThat(var(vars, "API_KEY").path("secureValue").asText()).isEqualTo(literal);
        assertThat(var(vars, "API_KEY").has("value")).isFalse();
        assertThat(var(vars, "MODE").path("value").asText()).isEqualTo("prod");
        for (JsonNode v : vars) {
            assertThat(v.path("value").asText()).as("plain value of %s", v.path("name").asText())
                    .doesNotContain(Fixtures.SECRET).doesNotContain(literal).doesNotContain(Fixtures.REGISTRY_SECRET);
        }
        assertThat(var(vars, "FLOWPORT__ENVIRONMENT").path("value").asText())
                .contains("env:DB_PASSWORD").doesNotContain("API_KEY");
        assertThat(body.at("/properties/imageRegistryCredentials/0/password").asText())
                .isEqualTo(Fixtures.REGISTRY_SECRET);

        String everythingElse = String.join("\n", server.responseBodies()) + captured.toString(StandardCharsets.UTF_8)
                + r + r.state() + String.join("\n", r.logs().lines()) + r.warnings() + env;
        for (String secret : List.of(Fixtures.SECRET, literal, Fixtures.REGISTRY_SECRET)) {
            assertThat(everythingElse).doesNotContain(secret);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).as("the run was logged").contains("ended: Success");
    }

    private static JsonNode var(JsonNode vars, String name) {
        for (JsonNode v : vars) {
            if (name.equals(v.path("name").asText())) {
                return v;
            }
        }
        throw new AssertionError("no variable " + name + " in " + vars);
    }
}
