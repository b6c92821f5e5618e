package io.flowport.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SerializationTest {

    /** What a user must never read in a settings error: Jackson's wording and the classes that bind settings. */
    static void inOurOwnWords(ConfigurationException e) {
        assertThat(e.getMessage())
                .doesNotContain("$Builder", "io.flowport.", "Unrecognized field", "not marked as ignorable",
                        "Cannot deserialize", "Cannot construct", "class ", "java.", "START_", "token",
                        "Unexpected character", "through reference chain");
    }

    private static ConfigurationException error(String json) {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> Serialization.environmentFromJson(json));
        assertThat(e).as("an error for %s", json).isNotNull();
        inOurOwnWords(e);
        return e;
    }

    @Test
    void anUnknownSettingNamesTheFieldTheTypeTheClosestKnownOnesAndListsThemAll() {
        ConfigurationException e = error("{\"type\":\"core-test\",\"subnet\":[\"a\"]}");
        assertThat(e.getMessage()).isEqualTo("unknown setting `subnet` in a `core-test` environment: did you mean "
                + "`subnets`? Known settings: container, cpu, executor, labels, metadata, mode, retries, "
                + "startTimeout, subnets");
    }

    @Test
    void everyUnknownSettingIsReportedAtOnce() {
        ConfigurationException e = error("{\"type\":\"core-test\",\"cpus\":\"1\",\"startTimout\":\"PT1S\","
                + "\"zzzzzz\":1}");
        assertThat(e.problems()).hasSize(3);
        assertThat(e.problems().get(0)).startsWith("unknown setting `cpus` in a `core-test` environment: did you mean "
                + "`cpu`?");
        assertThat(e.problems().get(1)).contains("`startTimout`", "did you mean `startTimeout`?");
        assertThat(e.problems().get(2)).startsWith("unknown setting `zzzzzz` in a `core-test` environment. Known "
                + "settings: container, cpu");
    }

    @Test
    void anUnknownNestedSettingIsNamedByItsPath() {
        ConfigurationException e = error("{\"type\":\"core-test\",\"container\":{\"name\":\"x\",\"imag\":\"y\"}}");
        assertThat(e.getMessage()).isEqualTo("unknown setting `container.imag` in a `core-test` environment: did "
                + "you mean `image`? Known settings of `container`: image, name");
        e = error("{\"type\":\"core-test\",\"executor\":{\"type\":\"parallel\",\"thread\":2}}");
        assertThat(e.getMessage()).startsWith("unknown setting `executor.thread` in a `core-test` environment: did "
                + "you mean `threads`?");
    }

    @Test
    void aValueOfTheWrongKindSaysWhatWasExpectedAndWhatWasFound() {
        assertThat(error("{\"type\":\"core-test\",\"cpu\":[\"1\"]}").getMessage())
                .isEqualTo("setting `cpu` of a `core-test` environment: expected a string, got an array");
        assertThat(error("{\"type\":\"core-test\",\"cpu\":{\"a\":1}}").getMessage())
                .isEqualTo("setting `cpu` of a `core-test` environment: expected a string, got an object");
        assertThat(error("{\"type\":\"core-test\",\"retries\":\"many\"}").getMessage())
                .isEqualTo("setting `retries` of a `core-test` environment: expected a whole number, got a string");
        assertThat(error("{\"type\":\"core-test\",\"subnets\":{\"a\":\"b\"}}").getMessage())
                .isEqualTo("setting `subnets` of a `core-test` environment: expected an array, got an object");
        assertThat(error("{\"type\":\"core-test\",\"container\":\"nginx\"}").getMessage())
                .isEqualTo("setting `container` of a `core-test` environment: expected an object, got a string");
        assertThat(error("{\"type\":\"core-test\",\"mode\":\"QUICK\"}").getMessage())
                .isEqualTo("setting `mode` of a `core-test` environment: expected one of FAST, CAREFUL, got 'QUICK'");
        assertThat(error("{\"type\":\"core-test\",\"startTimeout\":\"ten minutes\"}").getMessage())
                .isEqualTo("setting `startTimeout` of a `core-test` environment: expected a duration like PT10M or "
                        + "PT30S, got 'ten minutes'");
        assertThat(error("{\"type\":\"core-test\",\"executor\":{\"type\":\"paralel\"}}").getMessage())
                .isEqualTo("setting `executor.type` of a `core-test` environment: unknown type 'paralel'; did you "
                        + "mean `parallel`?; known types: parallel, sequential");
    }

    @Test
    void aProvidersOwnValidationErrorIsPassedOnAsItIs() {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> Serialization.environmentFromJson("{\"type\":\"core-test\",\"retries\":-1}"));
        assertThat(e.getMessage()).isEqualTo("SettingsTestEnvironment: retries must be >= 0, was -1");
    }

    @Test
    void aMalformedDocumentSaysWhereWithoutTheParsersWords() {
        assertThat(error("{\"type\":\"core-test\",}").getMessage())
                .isEqualTo("the environment document is not valid JSON (line 1, column 21)");
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> Serialization.environmentFromYaml("type: core-test\ncpu: [1\n"));
        inOurOwnWords(e);
        assertThat(e.getMessage()).startsWith("the environment document is not valid YAML (line ");
        assertThat(error("[1,2]").getMessage()).isEqualTo("the environment document must be an object with a "
                + "`type` (one of core-test), got an array");
    }

    @Test
    void yamlIsWrittenAndReadBackToTheSameEnvironment() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        // strings that plain YAML would read as numbers, booleans, null or structure
        for (String tricky : List.of("1024", "yes", "no", "true", "null", "~", "", "a: b", "- x", "#c", "0x1F",
                "1e3", "multi\nline")) {
            metadata.put("k" + metadata.size(), tricky);
        }
        metadata.put("n", 3);
        SettingsTestEnvironment env = SettingsTestEnvironment.builder()
                .cpu("1024").subnets(List.of("subnet-1", "subnet-2")).retries(2).mode(SettingsTestEnvironment.Mode.FAST)
                .startTimeout(Duration.ofMinutes(10)).container(new SettingsTestEnvironment.Container("c", "img:1"))
                .labels("a", "b").metadata(metadata).executor(Executor.parallel(3)).build();

        String yaml = Serialization.toYaml(env);

        assertThat(yaml).startsWith("type: core-test\n").doesNotStartWith("---");
        assertThat(yaml).contains("cpu: \"1024\"", "startTimeout: PT10M", "- subnet-1");
        Environment back = Serialization.environmentFromYaml(yaml);
        assertThat(back).isInstanceOf(SettingsTestEnvironment.class);
        assertThat(Serialization.toJson(back)).isEqualTo(Serialization.toJson(env));
        assertThat(back.metadata()).isEqualTo(metadata);
    }

    @Test
    void storagesAreWrittenAsYamlToo(@TempDir Path dir) throws IOException {
        ClasspathStorage storage = new ClasspathStorage(Map.of("etl", "com.example.Etl"));
        String yaml = Serialization.toYaml(storage);
        assertThat(yaml).startsWith("type: classpath\n");
        assertThat(Serialization.storageFromYaml(yaml).flows()).isEqualTo(storage.flows());
        Path file = Files.writeString(dir.resolve("storage.yml"), yaml);
        assertThat(Serialization.readStorage(file).flows()).isEqualTo(storage.flows());
    }

    @Test
    void typesAreFoundThroughTheThreadsContextClassLoader(@TempDir Path dir) throws IOException {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve("io.flowport.core.spi.TypeProvider"),
                SettingsTestEnvironment.HiddenTypes.class.getName() + "\n");
        assertThat(Serialization.environmentTypes()).doesNotContain("core-hidden");
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        try (URLClassLoader plugin = new URLClassLoader(new URL[] {dir.toUri().toURL()}, before)) {
            t.setContextClassLoader(plugin);
            assertThat(Serialization.environmentTypes()).contains("core-hidden", "core-test");
            Environment env = Serialization.environmentFromJson("{\"type\":\"core-hidden\"}");
            assertThat(Serialization.toJson(env)).startsWith("{\"type\":\"core-hidden\"");
        } finally {
            t.setContextClassLoader(before);
        }
        assertThat(Serialization.environmentTypes()).doesNotContain("core-hidden");
    }

    @Test
    void closestNamesUseEditDistance() {
        List<String> known = List.of("subnets", "securityGroups", "cpu", "memory", "cluster", "taskRoleArn");
        assertThat(io.flowport.core.spi.Names.closest("subnet", known)).containsExactly("subnets");
        assertThat(io.flowport.core.spi.Names.closest("memroy", known)).containsExactly("memory");
        assertThat(io.flowport.core.spi.Names.closest("TaskRoleARN", known)).containsExactly("taskRoleArn");
        assertThat(io.flowport.core.spi.Names.closest("zzzzzz", known)).isEmpty();
        assertThat(io.flowport.core.spi.Names.closest("kitten", java.util.List.of("sitting", "mitten")))
                .containsExactly("mitten");
    }
}
