package io.flowport.benchmarks;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs the JMH benchmarks of this module, the Dask comparison and the -Xmx256m check, then prints one table.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.flowport.benchmarks.Report [--quick] [--no-dask] [--out FILE]
 * </pre>
 *
 * {@code --quick} shortens every measurement (a smoke test of the report, not numbers to quote);
 * {@code --no-dask} leaves Dask out; {@code --out FILE} also writes the table to FILE.
 */
public final class Report {

    private static final int[] SIZES = {OverheadBenchmark.SMALL, OverheadBenchmark.LARGE};
    private static final double TARGET_SEQ_MICROS = 2.0;
    private static final double TARGET_DASK_RATIO = 20.0;
    private static final double TARGET_SPEEDUP = 1.6;
    private static final String REGION_4M = "-XX:G1HeapRegionSize=4m";

    private Report() {
    }

    public static void main(String[] args) throws RunnerException, IOException, InterruptedException {
        boolean quick = false;
        boolean dask = true;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--no-dask" -> dask = false;
                case "--out" -> out = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: Report [--quick] [--no-dask] [--out FILE]");
                    System.exit(2);
                }
            }
        }
        long started = System.nanoTime();
        String loadBefore = loadAverage();

        // 1. CPU work calibrated once here, so that both CPU-bound benchmarks do the same work
        long iterations = CpuWork.calibrate(CpuBoundBenchmark.TARGET_NANOS);
        System.out.printf("calibrated CPU-bound task: %,d iterations ~ 1 ms%n", iterations);

        // 2. JMH: overhead (with the GC profiler), then CPU-bound speed-up
        Map<String, Result<?>> overhead = new HashMap<>();
        for (RunResult r : jmh(OverheadBenchmark.class.getName() + "\\.", quick, null, true)) {
            String key = method(r) + ":" + r.getParams().getParam("shape");
            overhead.put(key, r.getPrimaryResult());
            Result<?> gc = r.getSecondaryResults().get("gc.time");
            if (gc != null) {
                overhead.put("gc:" + key, gc);
            }
        }
        // diagnostic: the 100k runs again with 4 MiB G1 regions (see README, "Why 100k costs more per task")
        for (RunResult r : jmh(OverheadBenchmark.class.getName() + "\\.sequential100k$", quick, null, true,
                REGION_4M)) {
            String key = "region4m:" + method(r) + ":" + r.getParams().getParam("shape");
            overhead.put(key, r.getPrimaryResult());
            Result<?> gc = r.getSecondaryResults().get("gc.time");
            if (gc != null) {
                overhead.put("gc:" + key, gc);
            }
        }
        Map<String, Result<?>> cpu = new HashMap<>();
        for (RunResult r : jmh(CpuBoundBenchmark.class.getName() + "\\.", quick, String.valueOf(iterations),
                false)) {
            cpu.put(method(r), r.getPrimaryResult());
        }

        // 3. Dask
        DaskComparison.Result daskResult = dask
                ? DaskComparison.run(quick ? List.of("--reps-small", "1", "--reps-large", "1") : List.of())
                : new DaskComparison.Result("left out (--no-dask)", null, 0, Map.of());

        // 4. 100,000 tasks under -Xmx256m in a fresh JVM
        String heapLine = heapCheck();

        String table = table(overhead, cpu, iterations, daskResult, heapLine, quick,
                (System.nanoTime() - started) / 1_000_000_000L, loadBefore + " at start, " + loadAverage() + " at end");
        System.out.println();
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, table, StandardCharsets.UTF_8);
        }
    }

    private static Collection<RunResult> jmh(String regex, boolean quick, String iterations, boolean gc,
                                             String... jvmArgsAppend) throws RunnerException {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include("^" + regex)
                .shouldFailOnError(true);
        if (iterations != null) {
            o.param("iterations", iterations);
        }
        if (gc) {
            o.addProfiler(GCProfiler.class);
        }
        if (jvmArgsAppend.length > 0) {
            o.jvmArgsAppend(jvmArgsAppend);
        }
        if (quick) {
            o.warmupIterations(1).warmupTime(TimeValue.milliseconds(500))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(500));
        }
        return new Runner(o.build()).run();
    }

    private static String method(RunResult r) {
        String b = r.getParams().getBenchmark();
        return b.substring(b.lastIndexOf('.') + 1);
    }

    private static String heapCheck() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                HeapCheck.class.getName());
        System.out.println("# 100,000 tasks under -Xmx256m: " + String.join(" ", cmd.subList(0, 2)) + " ... "
                + HeapCheck.class.getSimpleName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String last = "FAILED: no output";
        try (InputStream in = p.getInputStream()) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                System.out.println("  " + line);
                if (!line.isBlank()) {
                    last = line.trim();
                }
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return "FAILED: did not finish within 10 minutes";
        }
        if (p.exitValue() != 0 && !last.startsWith("FAILED")) {
            return "FAILED (exit " + p.exitValue() + "): " + last;
        }
        return last;
    }

    private static String table(Map<String, Result<?>> overhead, Map<String, Result<?>> cpu, long iterations,
                                DaskComparison.Result dask, String heapLine, boolean quick, long seconds,
                                String load) {
        StringBuilder sb = new StringBuilder();
        Runtime rt = Runtime.getRuntime();
        sb.append(String.format("Flowport executor benchmarks - %s%n",
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME.withLocale(Locale.ROOT))));
        sb.append(String.format("machine: %d cores (%s), %s %s, %s %s; report took %d s%s%n",
                rt.availableProcessors(), cpuModel(), System.getProperty("os.name"), System.getProperty("os.arch"),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), seconds,
                quick ? " (--quick: short runs, do not quote)" : ""));
        sb.append(String.format("load average (1/5/15 min): %s%n", load));
        sb.append(String.format("Dask: %s%n", dask.isSkipped() ? "skipped: " + dask.skipped()
                : dask.daskVersion() + ", dask.threaded.get, num_workers=" + dask.numWorkers()
                  + ", median of repeated runs, graph building excluded"));
        sb.append(String.format("flowport: JMH mean +- 99.9%% CI per task; parallel = Executor.parallel(%d)%n%n",
                OverheadBenchmark.PARALLEL_THREADS));

        String fmt = "%-9s %9s  %-22s %-22s %-14s %s%n";
        sb.append(String.format(fmt, "shape", "N", "sequential us/task", "parallel us/task", "Dask us/task",
                "Dask/sequential"));
        double worstSeq = 0;
        String worstSeqWhere = "";
        double lowestRatio = Double.MAX_VALUE;
        String lowestRatioWhere = "";
        for (int n : SIZES) {
            for (Graphs.Shape shape : Graphs.Shape.values()) {
                String suffix = n == OverheadBenchmark.SMALL ? "10k" : "100k";
                Result<?> seq = overhead.get("sequential" + suffix + ":" + shape.id());
                Result<?> par = overhead.get("parallel" + suffix + ":" + shape.id());
                double seqMicros = micros(seq);
                if (seqMicros > worstSeq) {
                    worstSeq = seqMicros;
                    worstSeqWhere = shape.id() + " " + String.format("%,d", n);
                }
                DaskComparison.Measurement d = dask.isSkipped() ? null : dask.get(shape.id(), n);
                String daskCell = d == null ? "skipped" : String.format("%.1f", d.medianMicros());
                String ratioCell = "-";
                if (d != null && seqMicros > 0) {
                    double ratio = d.medianMicros() / seqMicros;
                    ratioCell = String.format("%.0fx", ratio);
                    if (ratio < lowestRatio) {
                        lowestRatio = ratio;
                        lowestRatioWhere = shape.id() + " " + String.format("%,d", n);
                    }
                }
                sb.append(String.format(fmt, shape.id(), String.format("%,d", n), cell(seq), cell(par), daskCell,
                        ratioCell));
            }
        }

        Result<?> cpuSeq = cpu.get("sequential");
        Result<?> cpuPar = cpu.get("parallel");
        double speedup = cpuSeq.getScore() / cpuPar.getScore();
        double taskMs = cpuSeq.getScore() / CpuBoundBenchmark.TASKS;
        Result<?> cpuPool = cpu.get("plainThreadPool");
        sb.append(String.format("%nCPU-bound fan-out, %d tasks x %.2f ms (%,d iterations): sequential %.1f +- %.1f ms,"
                        + " parallel(%d) %.1f +- %.1f ms, speed-up %.2fx%n",
                CpuBoundBenchmark.TASKS, taskMs, iterations, cpuSeq.getScore(), err(cpuSeq),
                OverheadBenchmark.PARALLEL_THREADS, cpuPar.getScore(), err(cpuPar), speedup));
        if (cpuPool != null) {
            sb.append(String.format("  control, same work on a plain 2-thread pool without flowport: %.1f +- %.1f ms,"
                    + " speed-up %.2fx (what the machine allowed)%n", cpuPool.getScore(), err(cpuPool),
                    cpuSeq.getScore() / cpuPool.getScore()));
        }
        sb.append(String.format("100,000 tasks under -Xmx256m: %s%n", heapLine));

        sb.append(String.format("%nGC time during the measurement iterations (JMH gc profiler), sequential executor:%n"));
        for (Graphs.Shape shape : Graphs.Shape.values()) {
            String k10 = "sequential10k:" + shape.id();
            String k100 = "sequential100k:" + shape.id();
            String k4m = "region4m:" + k100;
            sb.append(String.format("  %-9s 10k: %s us/task, GC %s ms | 100k: %s us/task, GC %s ms"
                            + " | 100k with %s: %s us/task, GC %s ms%n", shape.id(),
                    fmtMicros(overhead.get(k10)), gcMs(overhead.get("gc:" + k10)),
                    fmtMicros(overhead.get(k100)), gcMs(overhead.get("gc:" + k100)), REGION_4M,
                    fmtMicros(overhead.get(k4m)), gcMs(overhead.get("gc:" + k4m))));
        }

        sb.append(String.format("%nTargets:%n"));
        sb.append(String.format("  sequential overhead <= %.0f us/task: %s (worst %.3f us/task, %s)%n",
                TARGET_SEQ_MICROS, worstSeq <= TARGET_SEQ_MICROS ? "MET" : "MISSED", worstSeq, worstSeqWhere));
        if (dask.isSkipped()) {
            sb.append(String.format("  >= %.0fx lower per-task overhead than Dask: skipped: %s%n", TARGET_DASK_RATIO,
                    dask.skipped()));
        } else {
            sb.append(String.format("  >= %.0fx lower per-task overhead than Dask: %s (lowest %.0fx, %s)%n",
                    TARGET_DASK_RATIO, lowestRatio >= TARGET_DASK_RATIO ? "MET" : "MISSED", lowestRatio,
                    lowestRatioWhere));
        }
        sb.append(String.format("  parallel(2) >= %.1fx sequential on CPU-bound tasks: %s (%.2fx)%n", TARGET_SPEEDUP,
                speedup >= TARGET_SPEEDUP ? "MET" : "MISSED", speedup));
        sb.append(String.format("  100,000 tasks complete under -Xmx256m: %s%n",
                heapLine.startsWith("OK") ? "MET" : "MISSED"));
        return sb.toString();
    }

    /** A per-task JMH result (ns/op with OperationsPerInvocation = N) in microseconds. */
    private static double micros(Result<?> r) {
        if (r == null) {
            return Double.NaN;
        }
        return toMicros(r.getScore(), r.getScoreUnit());
    }

    private static double toMicros(double v, String unit) {
        return switch (unit) {
            case "ns/op" -> v / 1000.0;
            case "us/op" -> v;
            case "ms/op" -> v * 1000.0;
            default -> throw new IllegalStateException("unexpected unit " + unit);
        };
    }

    private static String fmtMicros(Result<?> r) {
        return r == null ? "n/a" : String.format("%.3f", micros(r));
    }

    private static String gcMs(Result<?> r) {
        return r == null ? "0" : String.format("%.0f", r.getScore()); // the profiler leaves out gc.time when no GC ran
    }

    private static String cell(Result<?> r) {
        if (r == null) {
            return "missing";
        }
        double err = toMicros(err(r), r.getScoreUnit());
        return Double.isNaN(err) ? String.format("%.3f", micros(r)) : String.format("%.3f +- %.3f", micros(r), err);
    }

    private static double err(Result<?> r) {
        return r.getScoreError();
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }
}
