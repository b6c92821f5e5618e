package io.flowport.cli;

import picocli.CommandLine;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * What the queue commands ({@code submit}, {@code agent}, {@code runs}) share: durations, instants, class paths. No
 * agent type here (see {@link QueueActions}).
 */
final class QueueSupport {

    /** The {@code --queue} option's description. */
    static final String QUEUE_HELP = "The run queue: a file (the embedded queue), jdbc:sqlite:<file>, "
            + "jdbc:postgresql://host:port/db or postgresql://user@host:port/db (password from "
            + "FLOWPORT_QUEUE_PASSWORD). Default: $FLOWPORT_QUEUE, else ~/.flowport/queue.db.";

    private QueueSupport() {
    }

    /** {@code 90s}, {@code 10m}, {@code 2h}, {@code 500ms} or ISO-8601 ({@code PT10M}). */
    static Duration duration(CommandLine cl, String option, String s) {
        try {
            if (s.matches("\\d+(ms|s|m|h|d)")) {
                long n = Long.parseLong(s.replaceAll("\\D", ""));
                return switch (s.replaceAll("\\d", "")) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            return Duration.parse(s);
        } catch (RuntimeException e) {
            throw new CommandLine.ParameterException(cl, option + ": cannot read '" + s + "' as a duration; use e.g. "
                    + "90s, 10m, 2h or PT10M");
        }
    }

    /** An instant ({@code 2026-12-01T08:00:00Z}) or a duration from now ({@code 10m}). */
    static Instant instant(CommandLine cl, String option, String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return Instant.now().plus(duration(cl, option, s));
        }
    }

    /** The CLI's class loader extended with {@code --classpath} entries, each checked. */
    static ClassLoader classLoader(CommandLine cl, List<Path> classpath) {
        ClassLoader own = QueueSupport.class.getClassLoader();
        if (classpath.isEmpty()) {
            return own;
        }
        URL[] urls = new URL[classpath.size()];
        for (int i = 0; i < urls.length; i++) {
            Path p = classpath.get(i);
            if (!Files.exists(p)) {
                throw new CommandLine.ParameterException(cl, "--classpath: no such file or directory: " + p);
            }
            try {
                urls[i] = p.toAbsolutePath().toUri().toURL();
            } catch (MalformedURLException e) {
                throw new CommandLine.ParameterException(cl, "--classpath: bad path " + p);
            }
        }
        return new URLClassLoader(urls, own);
    }
}
