package io.flowport.core;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium from its command line (Debian's {@code chromium}; another one through {@code FLOWPORT_CHROMIUM}),
 * with a fresh profile each time and everything that would reach the network switched off. As an
 * {@link ExecutionCondition} it skips tests, with the reason, when no browser is installed.
 */
final class Chromium implements ExecutionCondition {

    static Path binary() {
        String configured = System.getenv("FLOWPORT_CHROMIUM");
        List<String> candidates = configured != null && !configured.isBlank() ? List.of(configured)
                : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        for (String c : candidates) {
            Path p = Paths.get(c);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Path b = binary();
        return b != null ? ConditionEvaluationResult.enabled("browser: " + b)
                : ConditionEvaluationResult.disabled("no headless browser: install Debian's chromium (apt-get install"
                + " chromium; .ci/run does) or set FLOWPORT_CHROMIUM to a Chromium/Chrome binary");
    }

    /** The DOM after the page's scripts ran. */
    static String dumpDom(Path page, Path work, int width, int height) throws IOException, InterruptedException {
        Path out = work.resolve("dom-" + System.nanoTime() + ".html");
        run(work, out, "--window-size=" + width + "," + height, "--dump-dom", page.toUri().toString());
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    /** A PNG of the page as a window of {@code width} x {@code height} shows it. */
    static Path screenshot(Path page, Path work, int width, int height, Path png) throws IOException,
            InterruptedException {
        run(work, work.resolve("screenshot-" + System.nanoTime() + ".log"), "--window-size=" + width + "," + height,
                "--screenshot=" + png.toAbsolutePath(), page.toUri().toString());
        if (!Files.isRegularFile(png)) {
            throw new IllegalStateException("chromium wrote no screenshot to " + png);
        }
        return png;
    }

    private static void run(Path work, Path stdout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
                "--user-data-dir=" + Files.createTempDirectory(work, "profile")));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile())
                .redirectError(work.resolve("chromium-" + System.nanoTime() + ".err").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not finish within 120 s: " + cmd);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("chromium exited with " + p.exitValue() + ": " + cmd);
        }
    }
}
