package io.flowport.core;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RunnerTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env) {
        return Runner.run(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void runsAFlowAndPrintsOneJsonLine() {
        int code = run(Map.of(RunnerSettings.FLOW_LOCATION, "core-test-add",
                RunnerSettings.FLOW_RUN_ID, "run-1",
                RunnerSettings.PARAMETERS, "{\"b\": 41}"));
        assertThat(code).isZero();
        assertThat(out().lines()).hasSize(1);
        assertThat(out()).startsWith("{\"event\":\"flowport.result\",\"flowRunId\":\"run-1\",\"flow\":\"core-test-add\","
                + "\"state\":\"Success\"");
        assertThat(Runner.parseResultLine(out().strip())).isEqualTo(State.success("1 task succeeded"));
    }

    @Test
    void aFailedRunExitsOneAndNamesTheTask() {
        int code = run(Map.of(RunnerSettings.FLOW_LOCATION, "core-test-fail"));
        assertThat(code).isEqualTo(1);
        assertThat(out()).contains("\"state\":\"Failed\"")
                .contains("\"failedTasks\":[{\"name\":\"boom\",\"state\":\"Failed\"");
    }

    @Test
    void missingLocationIsBadInputNamingTheVariable() {
        assertThat(run(Map.of())).isEqualTo(2);
        assertThat(err()).contains("FLOWPORT__FLOW_LOCATION is not set");
        assertThat(out()).isEmpty();
    }

    @Test
    void badInputsNameTheirVariable() {
        Map<String, String> env = new HashMap<>(Map.of(RunnerSettings.FLOW_LOCATION, "core-test-add"));
        env.put(RunnerSettings.PARAMETERS, "[1]");
        assertThat(run(env)).isEqualTo(2);
        assertThat(err()).contains("FLOWPORT__PARAMETERS must be a JSON object");

        err.reset();
        env.put(RunnerSettings.PARAMETERS, "{\"c\": 1}");
        assertThat(run(env)).isEqualTo(2);
        assertThat(err()).contains("FLOWPORT__PARAMETERS: flow 'core-test-add'").contains("unknown parameter 'c'")
                .contains("missing required parameter 'b'");

        err.reset();
        env.put(RunnerSettings.PARAMETERS, "{\"b\": 1}");
        env.put(RunnerSettings.STORAGE, "{\"type\":\"s3\"}");
        assertThat(run(env)).isEqualTo(2);
        assertThat(err()).contains("FLOWPORT__STORAGE: unknown storage type 's3'");

        err.reset();
        env.remove(RunnerSettings.STORAGE);
        env.put(RunnerSettings.ENVIRONMENT, "{\"type\":\"fargate-task\"}");
        assertThat(run(env)).isEqualTo(2);
        assertThat(err()).contains("FLOWPORT__ENVIRONMENT: unknown environment type 'fargate-task'")
                .contains("io.flowport:flowport-env-fargate");

        err.reset();
        env.remove(RunnerSettings.ENVIRONMENT);
        env.put(RunnerSettings.FLOW_LOCATION, "no-such-flow");
        assertThat(run(env)).isEqualTo(2);
        assertThat(err()).contains("FLOWPORT__FLOW_LOCATION: no flow at location 'no-such-flow'");
    }

    @Test
    void parseResultLineIgnoresOtherLines() {
        assertThat(Runner.parseResultLine("hello")).isNull();
        assertThat(Runner.parseResultLine("{\"event\":\"other\"}")).isNull();
        assertThat(Runner.parseResultLine("2026-01-01 INFO {\"event\":\"flowport.result\",\"state\":\"Failed\","
                + "\"message\":\"m\"}")).isEqualTo(State.of(StateType.FAILED, "m"));
    }
}
