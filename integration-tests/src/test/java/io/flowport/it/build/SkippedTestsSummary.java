package io.flowport.it.build;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The last step of {@code ./mvnw verify}: one line saying which tests of the whole build were skipped and why,
 * read from every module's Surefire and Failsafe reports written by this build (older reports are ignored).
 *
 * <p>Run by the build as {@code java ... SkippedTestsSummary <repository root> <build start, ISO-8601>}.
 */
public final class SkippedTestsSummary {

    private SkippedTestsSummary() {
    }

    /** Prints the summary line. Never fails the build. */
    public static void main(String[] args) throws IOException {
        Path root = Paths.get(args.length > 0 ? args[0] : ".");
        Instant since = args.length > 1 ? parse(args[1]) : Instant.EPOCH;
        System.out.println(summary(root, since));
    }

    private static Instant parse(String s) {
        try {
            // a second of slack: the build's start is rounded down to the second
            return Instant.parse(s).minusSeconds(1);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    /** {@code skipped 13: reason (11), other reason (2)}, or {@code skipped 0} when every test ran. */
    static String summary(Path root, Instant since) throws IOException {
        Map<String, Integer> byReason = new LinkedHashMap<>();
        int total = 0;
        int reports = 0;
        for (Path report : reports(root, since)) {
            reports++;
            for (String reason : skippedReasons(report)) {
                byReason.merge(reason, 1, Integer::sum);
                total++;
            }
        }
        StringBuilder sb = new StringBuilder("[flowport] tests skipped in this build: ").append(total);
        if (total > 0) {
            sb.append(": ");
            List<String> parts = new ArrayList<>();
            byReason.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                    .forEach(e -> parts.add(e.getKey() + " (" + e.getValue() + ")"));
            sb.append(String.join(", ", parts));
        }
        return sb.append(" [").append(reports).append(" test reports]").toString();
    }

    static List<Path> reports(Path root, Instant since) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : (Iterable<Path>) modules.sorted()::iterator) {
                for (String dir : List.of("surefire-reports", "failsafe-reports")) {
                    Path reports = module.resolve("target").resolve(dir);
                    if (!Files.isDirectory(reports)) {
                        continue;
                    }
                    try (Stream<Path> files = Files.list(reports)) {
                        for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                            String name = f.getFileName().toString();
                            if (name.startsWith("TEST-") && name.endsWith(".xml")
                                    && !Files.getLastModifiedTime(f).toInstant().isBefore(since)) {
                                out.add(f);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    static List<String> skippedReasons(Path report) {
        List<String> reasons = new ArrayList<>();
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            NodeList skipped = f.newDocumentBuilder().parse(report.toFile()).getElementsByTagName("skipped");
            for (int i = 0; i < skipped.getLength(); i++) {
                Element e = (Element) skipped.item(i);
                String message = e.getAttribute("message").strip();
                if (message.isEmpty()) {
                    // a failed assumption: its reason is the first line of the recorded exception
                    message = e.getTextContent().strip().lines().findFirst().orElse("")
                            .replaceFirst("^[\\w.$]+(Exception|Error): ", "");
                }
                // an assumption's message carries JUnit's prefix; the reason is what follows
                message = message.replaceFirst("^Assumption failed: (assumption is not true)?", "").strip();
                reasons.add(message.isEmpty() ? "no reason given" : message);
            }
        } catch (Exception e) {
            reasons.add("unreadable report " + report.getFileName());
        }
        return reasons;
    }
}
