package io.flowport.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StorageTest {

    private static Flow named(String name) {
        return Flow.builder(name).task("t", ctx -> null).build();
    }

    @Test
    void classpathStorageFindsFlowsByNameByClassAndByClassAndName() {
        ClasspathStorage s = new ClasspathStorage();
        assertThat(s.load("core-test-add").name()).isEqualTo("core-test-add");
        assertThat(s.load(TestFlows.Single.class.getName()).name()).isEqualTo("core-test-single");
        assertThat(s.load(TestFlows.class.getName() + "#core-test-fail").name()).isEqualTo("core-test-fail");
    }

    @Test
    void anUnknownLocationListsTheFlowsFoundAndTheFix() {
        assertThatThrownBy(() -> new ClasspathStorage().load("nope"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("no flow at location 'nope' in the classpath")
                .hasMessageContaining("core-test-add, core-test-fail")
                .hasMessageContaining("META-INF/services/io.flowport.core.FlowProvider");
        assertThatThrownBy(() -> new ClasspathStorage().load(TestFlows.class.getName()))
                .hasMessageContaining("offers 2 flows; say which with '" + TestFlows.class.getName() + "#<flow name>'");
        assertThatThrownBy(() -> new ClasspathStorage().load(TestFlows.class.getName() + "#x"))
                .hasMessageContaining("has no flow 'x'; it offers [core-test-add, core-test-fail]");
        assertThatThrownBy(() -> new ClasspathStorage().load(String.class.getName()))
                .hasMessageContaining("class java.lang.String must implement io.flowport.core.FlowProvider");
    }

    @Test
    void addFlowRecordsLocationsAndBuildChecksThemAll() {
        ClasspathStorage s = new ClasspathStorage();
        assertThat(s.addFlow(named("core-test-add"))).isEqualTo("core-test-add");
        assertThat(s.contains("core-test-add")).isTrue();
        assertThat(s.contains(named("other"))).isFalse();
        assertThat(s.build()).isSameAs(s);
        s.addFlow(named("missing-1"));
        s.addFlow(named("missing-2"));
        assertThatThrownBy(s::build)
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems()).hasSize(2));
    }

    @Test
    void storagesRoundTripThroughJsonWithTheirType(@TempDir Path dir) {
        ClasspathStorage s = new ClasspathStorage();
        s.addFlow(named("core-test-add"));
        String json = Serialization.toJson(s);
        assertThat(json).isEqualTo("{\"type\":\"classpath\",\"flows\":{\"core-test-add\":\"core-test-add\"}}");
        assertThat(Serialization.storageFromJson(json).flows()).isEqualTo(s.flows());

        LocalDirectoryStorage d = new LocalDirectoryStorage(dir);
        d.addFlow(named("core-test-add"));
        Storage back = Serialization.storageFromJson(Serialization.toJson(d));
        assertThat(back).isInstanceOf(LocalDirectoryStorage.class);
        assertThat(((LocalDirectoryStorage) back).directory()).isEqualTo(dir.toAbsolutePath().normalize());
        assertThat(back.flows()).containsEntry("core-test-add", "core-test-add");
    }

    @Test
    void unknownStorageTypesNameTheArtifactToAdd() {
        assertThatThrownBy(() -> Serialization.storageFromJson("{\"type\":\"image\",\"image\":\"x\"}"))
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("unknown storage type 'image'; known types on the classpath: classpath, "
                        + "local-directory")
                .hasMessageContaining("add the dependency io.flowport:flowport-storage-image");
        assertThatThrownBy(() -> Serialization.storageFromJson("{\"flows\":{}}"))
                .hasMessage("the storage document has no `type` setting (a string); known types: classpath, "
                        + "local-directory");
        assertThatThrownBy(() -> Serialization.storageFromJson("{not json"))
                .hasMessageStartingWith("the storage document is not valid JSON (line 1");
        assertThatThrownBy(() -> Serialization.storageFromJson("{\"type\":\"classpath\",\"flowz\":{}}"))
                .hasMessage("unknown setting `flowz` in a `classpath` storage: did you mean `flows`? Known "
                        + "settings: flows");
    }

    @Test
    void localDirectoryStorageCopiesTheClasspathAndLoadsFlowsFromIt(@TempDir Path dir) throws Exception {
        LocalDirectoryStorage s = new LocalDirectoryStorage(dir.resolve("store"));
        assertThatThrownBy(() -> s.load("core-test-add"))
                .hasMessageContaining("is empty: call build() first");
        s.addFlow(named("core-test-add"));
        s.build();
        assertThat(Files.readAllLines(dir.resolve("store/classpath.txt"))).isNotEmpty();
        assertThat(s.classpath()).allMatch(Files::exists);
        assertThat(s.load("core-test-add").parameters()).containsKeys("a", "b");

        s.addFlow(named("not-there"));
        assertThatThrownBy(s::build).hasMessageContaining("no flow at location 'not-there'");
    }
}
