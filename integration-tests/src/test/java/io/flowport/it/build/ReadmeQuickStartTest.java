package io.flowport.it.build;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's quick start is the code the consumer project compiles and runs (and the examples module ships):
 * edit one without the other and the build fails here; break the code and the consumer project fails.
 */
class ReadmeQuickStartTest {

    private static final Path ROOT = Reactor.root();

    static String quickStart() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("\n## Quick start");
        assertThat(start).as("README.md has a '## Quick start' section").isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    static List<String> block(String text, String language) {
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(text);
        assertThat(m.find()).as("a ```%s block in the quick start", language).isTrue();
        List<String> lines = new ArrayList<>();
        for (String line : m.group(1).split("\n")) {
            lines.add(line.strip());
        }
        return lines;
    }

    /** The code lines of the README's Java block, without the comment that shows its output. */
    static List<String> code() throws IOException {
        List<String> lines = new ArrayList<>(block(quickStart(), "java"));
        lines.removeIf(l -> l.isEmpty() || l.startsWith("//"));
        return lines;
    }

    static List<String> stripped(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            out.add(l.strip());
        }
        return out;
    }

    @Test
    void theConsumerProjectAndTheExamplesRunTheReadmesCodeLineForLine() throws IOException {
        List<String> code = code();
        assertThat(code).hasSizeGreaterThan(3);
        for (Path file : List.of(
                ROOT.resolve("integration-tests/src/it/consumer/src/main/java/com/example/QuickStart.java"),
                ROOT.resolve("examples/src/main/java/io/flowport/examples/QuickStart.java"))) {
            assertThat(stripped(file)).as("%s holds the README's quick start, line for line", ROOT.relativize(file))
                    .containsSubsequence(code);
            assertThat(String.join("\n", stripped(file))).contains(String.join("\n", code));
        }
    }

    @Test
    void theOutputTheReadmeShowsIsTheOneTheConsumerProjectChecks() throws IOException {
        List<String> comments = new ArrayList<>(block(quickStart(), "java"));
        comments.removeIf(l -> !l.startsWith("// "));
        assertThat(comments).as("the quick start's output, as a last comment line").isNotEmpty();
        String shown = comments.get(comments.size() - 1).substring(3);
        String check = Files.readString(ROOT.resolve(
                "integration-tests/src/it/consumer/src/main/java/com/example/QuickStartCheck.java"));
        assertThat(check).contains("EXPECTED = \"" + shown + "\";");
    }

    @Test
    void theReadmeImportsTheBomTheConsumerProjectImports() throws IOException {
        String xml = String.join("", block(quickStart(), "xml"));
        String version = Reactor.text(Reactor.pom(ROOT.resolve("pom.xml")), "version").orElseThrow();
        assertThat(xml).contains("<artifactId>flowport-dependencies</artifactId><version>" + version + "</version>")
                .contains("<type>pom</type><scope>import</scope>");
        assertThat(Reactor.managed(Reactor.pom(ROOT.resolve("integration-tests/src/it/consumer/pom.xml"))))
                .singleElement().satisfies(d -> assertThat(d.artifactId()).isEqualTo("flowport-dependencies"));
    }
}
