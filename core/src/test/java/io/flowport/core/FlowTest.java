package io.flowport.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlowTest {

    private static final TaskFunction NOOP = ctx -> null;

    @Test
    void ordersTasksTopologicallyWhateverTheDeclarationOrder() {
        Flow flow = Flow.builder("f")
                .task("c").after("b").run(NOOP)
                .task("b").after("a").run(NOOP)
                .task("a", NOOP)
                .build();
        assertThat(flow.tasks()).extracting(TaskSpec::name).containsExactly("a", "b", "c");
    }

    @Test
    void rejectsACycleAndNamesIt() {
        assertThatThrownBy(() -> Flow.builder("f")
                .task("start", NOOP)
                .task("a").after("start", "c").run(NOOP)
                .task("b").after("a").run(NOOP)
                .task("c").after("b").run(NOOP)
                .build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("flow 'f'")
                .hasMessageContaining("cycle")
                .hasMessageMatching("(?s).*(a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c).*");
    }

    @Test
    void rejectsASelfDependency() {
        assertThatThrownBy(() -> Flow.builder("f").task("a").after("a").run(NOOP).build())
                .hasMessageContaining("task 'a' depends on itself");
    }

    @Test
    void rejectsDuplicateNamesAndDanglingReferencesAllAtOnce() {
        assertThatThrownBy(() -> Flow.builder("f")
                .task("a", NOOP)
                .task("a", NOOP)
                .task("b").after("nope").run(NOOP)
                .build())
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
                        "duplicate task name 'a'", "task 'b' depends on unknown task 'nope'"));
    }

    @Test
    void rejectsBadTaskSettingsNamingTheTask() {
        assertThatThrownBy(() -> Flow.builder("f").task("a").retries(-1, Duration.ZERO).run(NOOP))
                .hasMessageContaining("task 'a': retries must be >= 0");
        assertThatThrownBy(() -> Flow.builder("f").task("a").timeout(Duration.ZERO).run(NOOP))
                .hasMessageContaining("task 'a': timeout must be positive");
        assertThatThrownBy(() -> Flow.builder(" "))
                .hasMessageContaining("flow name must not be blank");
    }

    @Test
    void resolvesParametersWithDefaultsAndConversion() {
        Flow flow = Flow.builder("f")
                .parameter("rows", Integer.class, 10)
                .requiredParameter("name", String.class)
                .task("a", NOOP)
                .build();
        assertThat(flow.resolveParameters(Map.of("name", "x"))).containsEntry("rows", 10).containsEntry("name", "x");
        assertThat(flow.resolveParameters(Map.of("name", "x", "rows", "42"))).containsEntry("rows", 42);
    }

    @Test
    void rejectsUnknownAndMissingParametersNamingThem() {
        Flow flow = Flow.builder("f")
                .parameter("rows", Integer.class, 10)
                .requiredParameter("name", String.class)
                .task("a", NOOP)
                .build();
        assertThatThrownBy(() -> flow.resolveParameters(Map.of("colour", "red", "rows", "many")))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
                        "unknown parameter 'colour'; known parameters: rows, name",
                        "parameter 'rows': cannot convert 'many' to Integer",
                        "missing required parameter 'name' (String)"));
    }

    @Test
    void commandFlowExposesItsCommand() {
        CommandSpec spec = CommandSpec.of("echo", "hi");
        Flow flow = Flow.command("hello", spec);
        assertThat(flow.commandSpec()).contains(spec);
        assertThat(flow.tasks()).extracting(TaskSpec::name).containsExactly("command");
    }

    @Test
    void commandSpecRejectsAnEmptyCommand() {
        assertThatThrownBy(() -> CommandSpec.of())
                .hasMessageContaining("command: the program to run is missing");
    }
}
