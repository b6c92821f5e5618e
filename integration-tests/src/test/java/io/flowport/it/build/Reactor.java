package io.flowport.it.build;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The build as its POM files describe it: the reactor's modules, which of them are published, what the BOM
 * lists, what a POM depends on. Read from the files, so that the guards see what the next build will do.
 */
final class Reactor {

    /**
     * Modules that {@code Serialization.KNOWN_ARTIFACTS} names before they are merged into the reactor. THE ONE
     * LIST TO UPDATE: when such a module merges, remove it here, add it to bom/pom.xml, to this module's
     * dependencies and to the consumer project (src/it/consumer/pom.xml); the guards say what is missing.
     */
    static final Set<String> NOT_YET_IN_REACTOR = Set.of();

    static final String GROUP = "io.flowport";

    /** A module of the reactor. */
    record Module(String directory, String artifactId, String packaging, boolean deploySkipped,
                  boolean installSkipped, Element pom) {
        boolean published() {
            return !deploySkipped;
        }

        /** A published jar: users add it through the BOM. */
        boolean publishedJar() {
            return published() && packaging.equals("jar");
        }
    }

    /** A {@code <dependency>} of a POM. */
    record Dependency(String groupId, String artifactId, String type, String classifier, String version,
                      String scope) {
        boolean isMainJar() {
            return (type == null || type.equals("jar")) && classifier == null;
        }
    }

    private Reactor() {
    }

    /** The repository's root: the parent of this module's directory. */
    static Path root() {
        String configured = System.getProperty("flowport.root");
        Path root = configured != null ? Paths.get(configured) : Paths.get("").toAbsolutePath().getParent();
        if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("bom"))) {
            throw new IllegalStateException("not the repository root: " + root);
        }
        return root;
    }

    static Element pom(Path file) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(false);
            Document d = f.newDocumentBuilder().parse(file.toFile());
            return d.getDocumentElement();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    static List<Module> modules() {
        Path root = root();
        List<Module> modules = new ArrayList<>();
        for (Element m : children(child(pom(root.resolve("pom.xml")), "modules").orElseThrow(), "module")) {
            String dir = m.getTextContent().trim();
            Element pom = pom(root.resolve(dir).resolve("pom.xml"));
            String packaging = text(pom, "packaging").orElse("jar");
            Map<String, String> props = properties(pom);
            modules.add(new Module(dir, text(pom, "artifactId").orElseThrow(), packaging,
                    "true".equals(props.get("maven.deploy.skip")), "true".equals(props.get("maven.install.skip")),
                    pom));
        }
        return modules;
    }

    static Set<String> reactorArtifactIds() {
        Set<String> ids = new TreeSet<>();
        modules().forEach(m -> ids.add(m.artifactId()));
        return ids;
    }

    /** The artifactIds the BOM manages. */
    static Set<String> bom() {
        Set<String> ids = new TreeSet<>();
        for (Dependency d : managed(pom(root().resolve("bom/pom.xml")))) {
            ids.add(d.artifactId());
        }
        return ids;
    }

    static List<Dependency> managed(Element pom) {
        return child(pom, "dependencyManagement").map(Reactor::dependencies).orElse(List.of());
    }

    /** The {@code <dependencies>} of a project or of its {@code <dependencyManagement>}. */
    static List<Dependency> dependencies(Element pom) {
        Optional<Element> deps = child(pom, "dependencies");
        List<Dependency> out = new ArrayList<>();
        if (deps.isEmpty()) {
            return out;
        }
        for (Element d : children(deps.get(), "dependency")) {
            out.add(new Dependency(text(d, "groupId").orElse(null), text(d, "artifactId").orElse(null),
                    text(d, "type").orElse(null), text(d, "classifier").orElse(null), text(d, "version").orElse(null),
                    text(d, "scope").orElse(null)));
        }
        return out;
    }

    static Map<String, String> properties(Element pom) {
        Map<String, String> props = new LinkedHashMap<>();
        child(pom, "properties").ifPresent(p -> {
            for (Element e : children(p, null)) {
                props.put(e.getTagName(), e.getTextContent().trim());
            }
        });
        return props;
    }

    static Optional<Element> child(Element parent, String name) {
        List<Element> c = children(parent, name);
        return c.isEmpty() ? Optional.empty() : Optional.of(c.get(0));
    }

    static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && (name == null || e.getTagName().equals(name))) {
                out.add(e);
            }
        }
        return out;
    }

    static Optional<String> text(Element parent, String name) {
        return child(parent, name).map(e -> e.getTextContent().trim());
    }
}
