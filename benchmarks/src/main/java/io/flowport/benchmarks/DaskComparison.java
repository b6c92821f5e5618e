package io.flowport.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code dask_overhead.py} (shipped in this jar) with Debian's {@code /usr/bin/python3} and reads its
 * JSON. When that Python or its Dask is missing, the result says "skipped" instead of failing.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar io.flowport.benchmarks.DaskComparison [script args]}
 * runs it on its own. The interpreter can be changed with {@code -Dflowport.python=/path/to/python3}.
 */
public final class DaskComparison {

    /** Debian's interpreter; another {@code python3} first on PATH may not have Dask. */
    public static final String DEFAULT_PYTHON = "/usr/bin/python3";
    private static final String SCRIPT = "/io/flowport/benchmarks/python/dask_overhead.py";

    /** One measured graph. */
    public record Measurement(String shape, int n, int reps, double medianMicros, double minMicros) {
    }

    /** The outcome: either measurements or the reason they were skipped. */
    public record Result(String skipped, String daskVersion, int numWorkers, Map<String, Measurement> byKey) {

        static Result skipped(String why) {
            return new Result(why, null, 0, Map.of());
        }

        public boolean isSkipped() {
            return skipped != null;
        }

        public Measurement get(String shape, int n) {
            return byKey.get(key(shape, n));
        }
    }

    private DaskComparison() {
    }

    static String key(String shape, int n) {
        return shape + ":" + n;
    }

    public static void main(String[] args) {
        Result r = run(List.of(args));
        if (r.isSkipped()) {
            System.out.println("Dask comparison skipped: " + r.skipped());
            return;
        }
        System.out.printf("Dask %s, threaded scheduler, num_workers=%d%n", r.daskVersion(), r.numWorkers());
        for (Measurement m : r.byKey().values()) {
            System.out.printf("%-9s %,8d  median %8.2f us/task  min %8.2f us/task  (%d reps)%n", m.shape(), m.n(),
                    m.medianMicros(), m.minMicros(), m.reps());
        }
    }

    /** Runs the script with {@code scriptArgs}; progress goes to stderr. Never throws for a missing Dask. */
    public static Result run(List<String> scriptArgs) {
        String python = System.getProperty("flowport.python", DEFAULT_PYTHON);
        if (!Files.isExecutable(Path.of(python))) {
            return Result.skipped(python + " not found: install python3-dask (apt-get install -y python3-dask)");
        }
        Path script = null;
        try {
            script = extractScript();
            List<String> cmd = new ArrayList<>();
            cmd.add(python);
            cmd.add(script.toString());
            cmd.addAll(scriptArgs);
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return Result.skipped("the Dask script did not finish within 30 minutes");
            }
            String text = new String(out, StandardCharsets.UTF_8).trim();
            String lastLine = text.isEmpty() ? "" : text.substring(text.lastIndexOf('\n') + 1);
            if (p.exitValue() == 3) {
                return Result.skipped("dask is not importable by " + python + ": install python3-dask"
                        + " (apt-get install -y python3-dask)");
            }
            if (p.exitValue() != 0 || lastLine.isEmpty()) {
                return Result.skipped("the Dask script failed with exit code " + p.exitValue() + ": " + text);
            }
            return parse(lastLine);
        } catch (IOException e) {
            return Result.skipped("could not run " + python + ": " + e + " (install python3-dask)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.skipped("interrupted");
        } finally {
            if (script != null) {
                try {
                    Files.deleteIfExists(script);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }

    static Result parse(String json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        if (root.hasNonNull("skipped")) {
            return Result.skipped(root.get("skipped").asText());
        }
        Map<String, Measurement> byKey = new LinkedHashMap<>();
        for (JsonNode r : root.get("results")) {
            Measurement m = new Measurement(r.get("shape").asText(), r.get("n").asInt(), r.get("reps").asInt(),
                    r.get("median_us_per_task").asDouble(), r.get("min_us_per_task").asDouble());
            byKey.put(key(m.shape(), m.n()), m);
        }
        return new Result(null, root.path("dask_version").asText("?"), root.path("num_workers").asInt(), byKey);
    }

    private static Path extractScript() throws IOException {
        Path tmp = Files.createTempFile("dask_overhead", ".py");
        try (InputStream in = DaskComparison.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException(SCRIPT + " is not on the classpath"));
            }
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        return tmp;
    }
}
