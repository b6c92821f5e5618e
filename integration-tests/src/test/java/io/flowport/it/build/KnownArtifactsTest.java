package io.flowport.it.build;

import io.flowport.core.Serialization;
import io.flowport.core.spi.TypeProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The artifact an unknown type's error tells users to add is the one that registers the type, and it resolves
 * through the BOM. Entries for modules that are not merged yet ({@link Reactor#NOT_YET_IN_REACTOR}) are
 * reported as skipped, each with what to do when the module merges.
 */
class KnownArtifactsTest {

    @TestFactory
    List<DynamicTest> everyRegisteredTypeNamesTheArtifactThatRegistersIt() {
        List<DynamicTest> tests = new ArrayList<>();
        Map<String, String> known = Serialization.knownArtifacts();
        for (TypeProvider p : ServiceLoader.load(TypeProvider.class)) {
            String artifact = Reactor.GROUP + ":" + artifactOf(p.getClass());
            List<String> types = new ArrayList<>(p.environments().keySet());
            types.addAll(p.storages().keySet());
            types.addAll(p.executors().keySet());
            for (String type : types) {
                tests.add(DynamicTest.dynamicTest("type " + type + " -> " + artifact, () ->
                        assertThat(known.get(type)).as("Serialization.KNOWN_ARTIFACTS entry for type '%s' "
                                + "(registered by %s in %s)", type, p.getClass().getName(), artifact)
                                .isEqualTo(artifact)));
            }
        }
        assertThat(tests).as("type providers on this class path").hasSizeGreaterThanOrEqualTo(7);
        return tests;
    }

    @TestFactory
    List<DynamicTest> everyArtifactNamedForATypeIsInTheBom() {
        Set<String> bom = Reactor.bom();
        Set<String> reactor = Reactor.reactorArtifactIds();
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, String> e : Serialization.knownArtifacts().entrySet()) {
            String type = e.getKey();
            String coordinates = e.getValue();
            tests.add(DynamicTest.dynamicTest("type " + type + " -> " + coordinates, () -> {
                assertThat(coordinates).startsWith(Reactor.GROUP + ":");
                String artifactId = coordinates.substring(coordinates.indexOf(':') + 1);
                if (Reactor.NOT_YET_IN_REACTOR.contains(artifactId)) {
                    assertThat(reactor).as("%s is in the reactor now: remove it from Reactor.NOT_YET_IN_REACTOR",
                            artifactId).doesNotContain(artifactId);
                    // one reason per module, so that the build's summary counts its types together
                    assumeTrue(false, artifactId + " is not in the reactor yet (when it merges: "
                            + "Reactor.NOT_YET_IN_REACTOR says what to update)");
                }
                assertThat(bom).as("bom/pom.xml lists %s, which Serialization.KNOWN_ARTIFACTS names for type "
                        + "'%s'", artifactId, type).contains(artifactId);
            }));
        }
        return tests;
    }

    /** The artifactId of the module a class comes from: its jar's Maven metadata, or the module's POM. */
    static String artifactOf(Class<?> c) {
        Path location;
        try {
            location = Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (Files.isDirectory(location)) {
            // <module>/target/classes
            return Reactor.text(Reactor.pom(location.getParent().getParent().resolve("pom.xml")), "artifactId")
                    .orElseThrow();
        }
        try (JarFile jar = new JarFile(location.toFile())) {
            for (JarEntry entry : (Iterable<JarEntry>) jar.stream()::iterator) {
                String n = entry.getName();
                if (n.startsWith("META-INF/maven/" + Reactor.GROUP + "/") && n.endsWith("/pom.properties")) {
                    Properties props = new Properties();
                    try (InputStream in = jar.getInputStream(entry)) {
                        props.load(in);
                    }
                    return props.getProperty("artifactId");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + location, e);
        }
        throw new IllegalStateException("no Maven metadata in " + location);
    }
}
