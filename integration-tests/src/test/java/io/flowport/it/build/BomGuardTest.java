package io.flowport.it.build;

import io.flowport.it.build.Reactor.Dependency;
import io.flowport.it.build.Reactor.Module;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What users get through the BOM is the whole published reactor: a module missing from the BOM, a BOM entry
 * without a module, an unpublished module that would deploy, or a Flowport artifact this module resolves
 * around the BOM fails the build.
 */
class BomGuardTest {

    @Test
    void everyPublishedModuleOfTheReactorIsInTheBom() {
        Set<String> bom = Reactor.bom();
        List<String> missing = Reactor.modules().stream().filter(Module::publishedJar)
                .filter(m -> !bom.contains(m.artifactId()))
                .map(m -> m.artifactId() + " (" + m.directory() + "/pom.xml)").collect(Collectors.toList());
        assertThat(missing).as("published modules missing from bom/pom.xml: add a <dependency> for each to "
                + "bom/pom.xml, or set <maven.deploy.skip>true</maven.deploy.skip> in the module if it is not "
                + "published").isEmpty();
    }

    @Test
    void theBomListsOnlyPublishedModulesOfTheReactor() {
        Set<String> published = Reactor.modules().stream().filter(Module::publishedJar).map(Module::artifactId)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(Reactor.bom()).as("bom/pom.xml entries that are not published modules of the reactor")
                .isSubsetOf(published);
        for (Dependency d : Reactor.managed(Reactor.pom(Reactor.root().resolve("bom/pom.xml")))) {
            assertThat(d.groupId()).isEqualTo(Reactor.GROUP);
            assertThat(d.version()).as("version of %s in the BOM", d.artifactId()).isEqualTo("${project.version}");
        }
    }

    @Test
    void modulesThatAreNotPublishedNeitherDeployNorInstall() {
        Map<String, Module> byDir = Reactor.modules().stream()
                .collect(Collectors.toMap(Module::directory, m -> m));
        for (String dir : List.of("examples", "integration-tests", "benchmarks")) {
            Module m = byDir.get(dir);
            assertThat(m).as("module %s", dir).isNotNull();
            assertThat(m.deploySkipped()).as("%s/pom.xml sets maven.deploy.skip", dir).isTrue();
            assertThat(m.installSkipped()).as("%s/pom.xml sets maven.install.skip", dir).isTrue();
        }
        // what the BOM lists is published (a jar), and nothing else is a jar that deploys
        assertThat(Reactor.modules().stream().filter(m -> m.packaging().equals("jar") && m.published())
                .map(Module::artifactId)).containsExactlyInAnyOrderElementsOf(Reactor.bom());
    }

    @Test
    void theseTestsResolveEveryFlowportArtifactThroughTheBomAlone() {
        List<Dependency> own = Reactor.dependencies(Reactor.pom(Reactor.root().resolve("integration-tests/pom.xml")));
        Set<String> declared = new TreeSet<>();
        for (Dependency d : own) {
            if (Reactor.GROUP.equals(d.groupId()) && d.isMainJar() && Reactor.bom().contains(d.artifactId())) {
                assertThat(d.version()).as("integration-tests declares %s with a version: its version must come "
                        + "from the BOM", d.artifactId()).isNull();
                declared.add(d.artifactId());
            }
        }
        assertThat(declared).as("published modules integration-tests does not depend on (add each without a "
                + "version to integration-tests/pom.xml)").containsExactlyInAnyOrderElementsOf(Reactor.bom());
        // the parent manages no Flowport jar itself: their versions come from the BOM it imports
        for (Dependency d : Reactor.managed(Reactor.pom(Reactor.root().resolve("pom.xml")))) {
            if (Reactor.GROUP.equals(d.groupId()) && d.isMainJar()) {
                throw new AssertionError("the parent pom manages " + d.artifactId() + " itself; only "
                        + "flowport-dependencies (which imports flowport-bom) may");
            }
        }
    }

    @Test
    void flowportDependenciesImportsTheBomAndTheConsumerProjectAddsEveryPublishedModule() {
        List<Dependency> managed = Reactor.managed(Reactor.pom(Reactor.root().resolve("dependencies/pom.xml")));
        assertThat(managed).anyMatch(d -> d.artifactId().equals("flowport-bom") && "import".equals(d.scope()));

        var consumer = Reactor.pom(Reactor.root().resolve("integration-tests/src/it/consumer/pom.xml"));
        assertThat(Reactor.managed(consumer)).as("the consumer project imports flowport-dependencies and nothing "
                + "else").singleElement().satisfies(d -> {
                    assertThat(d.artifactId()).isEqualTo("flowport-dependencies");
                    assertThat(d.scope()).isEqualTo("import");
                });
        List<Dependency> deps = Reactor.dependencies(consumer);
        assertThat(deps).allSatisfy(d -> assertThat(d.version()).as("version of %s in the consumer project",
                d.artifactId()).isNull());
        assertThat(deps.stream().filter(d -> Reactor.GROUP.equals(d.groupId())).map(Dependency::artifactId))
                .as("published modules the consumer project (integration-tests/src/it/consumer/pom.xml) does not add")
                .containsExactlyInAnyOrderElementsOf(Reactor.bom());
    }
}
