package io.flowport.storage.image.internal;

import io.flowport.storage.image.ExtraFile;
import io.flowport.storage.image.internal.LayerPlan.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class LayerPlanTest {

    @TempDir
    Path tmp;

    private Path file(String rel, String content) throws IOException {
        Path p = tmp.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    private Map<Kind, Map<String, Path>> byKind(LayerPlan plan) {
        return plan.layers().stream().collect(Collectors.toMap(LayerPlan.Layer::kind,
                l -> l.entries().stream().collect(Collectors.toMap(LayerPlan.Entry::target, LayerPlan.Entry::source))));
    }

    @Test
    void splitsTheClassPathIntoJibsLayersOrderedFromStableToVolatile() throws IOException {
        Path repo = tmp.resolve("m2");
        Path released = file("m2/org/x/x/1.0/x-1.0.jar", "x");
        Path snapshot = file("m2/io/y/y/2.0-SNAPSHOT/y-2.0-SNAPSHOT.jar", "y");
        Path timestamped = file("m2/io/z/z/3.0-SNAPSHOT/z-3.0-20260101.120000-4.jar", "z");
        Path project = file("module/target/module-1.0.jar", "m");
        file("classes/com/acme/A.class", "A");
        file("classes/application.yaml", "a: 1");
        Path extra = file("extra/run.sh", "#!/bin/sh");

        LayerPlan plan = LayerPlan.plan(
                List.of(tmp.resolve("classes"), released, snapshot, timestamped, project, tmp.resolve("missing.jar")),
                List.of(new ExtraFile(extra, "/opt/run.sh")), List.of(repo), tmp.resolve("staging"));

        assertThat(plan.layers()).extracting(LayerPlan.Layer::kind).containsExactly(Kind.DEPENDENCIES,
                Kind.SNAPSHOT_DEPENDENCIES, Kind.PROJECT_DEPENDENCIES, Kind.RESOURCES, Kind.CLASSES, Kind.EXTRA_FILES);
        Map<Kind, Map<String, Path>> m = byKind(plan);
        assertThat(m.get(Kind.DEPENDENCIES)).containsOnly(Map.entry("/app/libs/x-1.0.jar", released));
        assertThat(m.get(Kind.SNAPSHOT_DEPENDENCIES)).containsOnlyKeys("/app/libs/y-2.0-SNAPSHOT.jar",
                "/app/libs/z-3.0-20260101.120000-4.jar");
        assertThat(m.get(Kind.PROJECT_DEPENDENCIES)).containsOnly(Map.entry("/app/libs/module-1.0.jar", project));
        assertThat(m.get(Kind.RESOURCES)).containsOnlyKeys("/app/resources/application.yaml");
        assertThat(m.get(Kind.CLASSES)).containsOnlyKeys("/app/classes/com/acme/A.class");
        assertThat(m.get(Kind.EXTRA_FILES)).containsOnly(Map.entry("/opt/run.sh", extra));
        assertThat(plan.layers().get(0).bytes()).isEqualTo(1);
    }

    @Test
    void theFirstDirectoryWinsButServiceFilesAreMerged() throws IOException {
        file("a/com/acme/A.class", "first");
        file("b/com/acme/A.class", "second");
        file("a/META-INF/services/io.flowport.core.FlowProvider", "com.acme.One\n# comment\ncom.acme.Shared\n");
        file("b/META-INF/services/io.flowport.core.FlowProvider", "com.acme.Two # trailing\ncom.acme.Shared\n");

        LayerPlan plan = LayerPlan.plan(List.of(tmp.resolve("a"), tmp.resolve("b")), List.of(), List.of(),
                tmp.resolve("staging"));

        Map<Kind, Map<String, Path>> m = byKind(plan);
        assertThat(m.get(Kind.CLASSES).get("/app/classes/com/acme/A.class")).hasContent("first");
        assertThat(plan.warnings()).singleElement().satisfies(w -> assertThat(w).startsWith("com/acme/A.class of "
                + tmp.resolve("b")).contains("shadowed"));
        Path merged = m.get(Kind.RESOURCES).get("/app/resources/META-INF/services/io.flowport.core.FlowProvider");
        assertThat(Files.readAllLines(merged)).containsExactly("com.acme.One", "com.acme.Shared", "com.acme.Two");
    }

    @Test
    void jarsWithTheSameNameAreBothKept() throws IOException {
        Path one = file("m2/a/core/1.0/core-1.0.jar", "one");
        Path two = file("m2/b/core/1.0/core-1.0.jar", "second");

        LayerPlan plan = LayerPlan.plan(List.of(one, two), List.of(), List.of(tmp.resolve("m2")), tmp.resolve("s"));

        assertThat(byKind(plan).get(Kind.DEPENDENCIES)).containsOnly(
                Map.entry("/app/libs/core-1.0-3.jar", one), Map.entry("/app/libs/core-1.0-6.jar", two));
    }

    @Test
    void theContentDigestChangesWithContentPlaceAndSettingsOnly() throws IOException {
        Path cls = file("c/com/acme/A.class", "v1");
        List<Path> cp = List.of(tmp.resolve("c"));
        String first = LayerPlan.plan(cp, List.of(), List.of(), tmp.resolve("s")).contentDigest(List.of("base=x"));
        String again = LayerPlan.plan(cp, List.of(), List.of(), tmp.resolve("s")).contentDigest(List.of("base=x"));
        String otherSettings = LayerPlan.plan(cp, List.of(), List.of(), tmp.resolve("s")).contentDigest(List.of("base=y"));
        Files.writeString(cls, "v2");
        String changed = LayerPlan.plan(cp, List.of(), List.of(), tmp.resolve("s")).contentDigest(List.of("base=x"));

        assertThat(first).hasSize(64).isEqualTo(again);
        assertThat(otherSettings).isNotEqualTo(first);
        assertThat(changed).isNotEqualTo(first);
    }
}
