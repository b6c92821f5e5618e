package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.StateType;
import io.flowport.core.spi.BackendLifecycle;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Launches and follows many runs (default 10,000) through {@link FargateTaskEnvironment#submit} against a
 * {@link LocalAwsServer} in a separate JVM with AWS-like token buckets (RunTask 40/s burst 100, DescribeTasks
 * 20/s burst 100, RegisterTaskDefinition 1/s burst 20, all times {@code scale}), 20 ms latency and a share of
 * RunTask answers lost after the task was started. Prints API calls per run, the launch rate against the RunTask
 * ceiling, the most DescribeTasks calls the server received in one second against the status read rate the
 * lifecycle is configured with (ECS's documented 20/s, {@link EcsBackend#readsPerSecond()}), the heap per in-flight
 * run and whether the targets hold. Not part of {@code verify}:
 * <pre>./mvnw -B -pl env-fargate -am test-compile -Pload-benchmark</pre>
 * Options as system properties: {@code runs}, {@code scale}, {@code loseRate}, {@code runMs}, {@code readRate}
 * (status reads per second; 0 = the backend's documented rate).
 */
public final class FargateLoadBenchmark {

    private FargateLoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("runs", 10_000);
        double scale = Double.parseDouble(System.getProperty("scale", "5"));
        double loseRate = Double.parseDouble(System.getProperty("loseRate", "0.01"));
        int runMs = Integer.getInteger("runMs", 3000);
        double readRate = Double.parseDouble(System.getProperty("readRate", "0"));
        double runTaskCeiling = 40 * scale;

        Process server = new ProcessBuilder(javaBin(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", LocalAwsServer.class.getName(),
                "threads=64", "scale=" + scale, "latencyMs=20", "runMs=" + runMs,
                "loseRunTaskAnswerRate=" + loseRate).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null || !line.startsWith("PORT ")) {
                throw new IllegalStateException("test server did not start: " + line);
            }
            URI endpoint = URI.create("http://127.0.0.1:" + line.substring(5).trim());
            run(endpoint, runs, scale, runTaskCeiling, loseRate, readRate);
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void run(URI endpoint, int runs, double scale, double ceiling, double loseRate, double readRate)
            throws Exception {
        BackendLifecycle.Settings lifecycle = BackendLifecycle.Settings.builder()
                .launchesPerSecond(ceiling).threads(16).statusReadsPerSecond(readRate).build();
        FargateTaskEnvironment env = Fixtures.base().endpointOverride(endpoint)
                .awsAccessKeyId("AKIDBENCHMARK").awsSecretAccessKey("benchmark")
                .lifecycleSettings(lifecycle).build();
        Flow flow = Flow.command("load", CommandSpec.of("sh", "-c", "exit 0"));
        env.setup(flow);
        double configuredReads = readRate > 0 ? readRate : env.backend().readsPerSecond();

        long baseline = usedHeapAfterGc();
        int baseThreads = Thread.activeCount();
        long start = System.nanoTime();
        // results are counted as they come and not kept, so the heap holds only what is in flight
        Map<StateType, Integer> states = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicInteger throttleMessages = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(runs);
        for (int i = 0; i < runs; i++) {
            env.submit(flow, FlowRun.create()).whenComplete((res, err) -> {
                if (res != null) {
                    states.merge(res.state().type(), 1, Integer::sum);
                    if (throttled(res.state().cause())) {
                        throttleMessages.incrementAndGet();
                    }
                } else {
                    states.merge(StateType.CRASHED, 1, Integer::sum);
                }
                done.countDown();
            });
        }
        double submitSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "  submitted %d runs in %.1f s%n", runs, submitSeconds);
        double worstHeapPerRun = 0;
        java.util.List<double[]> samples = new java.util.ArrayList<>(); // {in flight, used heap}
        int peakInFlight = 0;
        int peakThreads = 0;
        while (!done.await(3, TimeUnit.SECONDS)) {
            int inFlight = env.runsInFlight();
            long heap = usedHeapAfterGc();
            if (inFlight >= 1000) {
                worstHeapPerRun = Math.max(worstHeapPerRun, (heap - baseline) / (double) inFlight);
                samples.add(new double[]{inFlight, heap});
            }
            peakInFlight = Math.max(peakInFlight, inFlight);
            peakThreads = Math.max(peakThreads, Thread.activeCount());
            System.out.printf(Locale.ROOT, "  t=%5.1fs in-flight=%5d heap=%6.1f MiB%n",
                    (System.nanoTime() - start) / 1e9, inFlight, heap / 1048576.0);
        }
        double totalSeconds = (System.nanoTime() - start) / 1e9;
        long after = usedHeapAfterGc();
        System.out.printf(Locale.ROOT, "  heap after all runs ended: %+.1f MiB over the baseline%n",
                (after - baseline) / 1048576.0);
        env.close();

        JsonNode s = stats(endpoint);
        Map<String, Integer> calls = new TreeMap<>();
        s.get("calls").properties().forEach(e -> calls.put(e.getKey(), e.getValue().asInt()));
        System.out.println();
        System.out.printf(Locale.ROOT, "runs %d, scale x%s (RunTask ceiling %.0f/s), latency 20 ms, lost RunTask "
                + "answers %d (rate %.2f)%n", runs, fmt(scale), ceiling, s.get("lostAnswers").asInt(), loseRate);
        System.out.println();
        System.out.println("| operation | calls | per run |");
        System.out.println("|---|---:|---:|");
        calls.forEach((op, n) -> System.out.printf(Locale.ROOT, "| %s | %d | %.3f |%n", op, n, n / (double) runs));
        System.out.println();
        // from the first task created to the last, as the server saw them
        double launchSeconds = s.get("launchSpanMillis").asLong() / 1000.0;
        double rate = (runs - 1) / launchSeconds;
        int runTasks = calls.getOrDefault("RunTask", 0);
        System.out.println("| measure | value | target |");
        System.out.println("|---|---:|---|");
        System.out.printf(Locale.ROOT, "| task definitions registered | %d | 1 |%n",
                calls.getOrDefault("RegisterTaskDefinition", 0));
        System.out.printf(Locale.ROOT, "| tasks started / runs | %d / %d | equal |%n", s.get("tasks").asInt(), runs);
        System.out.printf(Locale.ROOT, "| runs with a duplicate task | %d | 0 |%n",
                s.get("runsWithMoreThanOneTask").asInt());
        int runTaskThrottled = s.get("throttledByOperation").path("RunTask").asInt();
        System.out.printf(Locale.ROOT, "| RunTask calls - retries of lost answers (%d) - retries of throttled calls "
                + "(%d) | %d | %d (one per run) |%n", s.get("lostAnswers").asInt(), runTaskThrottled,
                runTasks - s.get("lostAnswers").asInt() - runTaskThrottled, runs);
        System.out.printf(Locale.ROOT, "| polls / worst DescribeTasks calls over ceil(tasks/100) | %d / %d | <= 0 |%n",
                s.get("polls").asInt(), s.get("worstExtraDescribeCallsPerPoll").asInt());
        System.out.printf(Locale.ROOT, "| largest DescribeTasks batch | %d | <= 100 |%n",
                s.get("maxDescribeBatch").asInt());
        // a token bucket of rate r starts calls 1/r apart: any 10 s hold at most 1 + 10 r of them, and one second
        // holds r, or r + 1 when one call starts (or arrives) a little late and the next one on time
        System.out.printf(Locale.ROOT, "| DescribeTasks calls in one second, most of any second (%d calls in %.0f s)"
                + " | %d | %s (configured status read rate; +1 at a second's edge) |%n",
                calls.getOrDefault("DescribeTasks", 0), totalSeconds,
                s.path("maxPerSecond").path("DescribeTasks").asInt(), fmt(configuredReads));
        System.out.printf(Locale.ROOT, "| DescribeTasks calls in any 10 s, most | %d | <= %d (1 + 10 x rate) |%n",
                Math.round(s.path("maxRateOver10s").path("DescribeTasks").asDouble() * 10),
                Math.round(1 + 10 * configuredReads));
        System.out.printf(Locale.ROOT, "| launch rate (all %d tasks started in %.1f s) | %.1f/s = %.0f%% of %.0f/s "
                + "| >= 90%% |%n", runs, launchSeconds, rate, 100 * rate / ceiling, ceiling);
        System.out.printf(Locale.ROOT, "| ThrottlingException answers, all absorbed by retries | %s | - |%n",
                s.get("throttledByOperation"));
        System.out.printf(Locale.ROOT, "| final states | %s | all Success |%n", new TreeMap<>(states));
        System.out.printf(Locale.ROOT, "| throttling errors reaching the user | %d | 0 |%n", throttleMessages.get());
        System.out.printf(Locale.ROOT, "| heap per in-flight run: slope of used heap over runs in flight (%d samples "
                + ">= 1000 in flight) | %.0f B | <= 4096 B |%n", samples.size(), slope(samples));
        System.out.printf(Locale.ROOT, "| heap over the baseline / runs in flight, worst sample (includes the %.1f MiB "
                + "still held after all runs ended) | %.0f B | - |%n", (after - baseline) / 1048576.0, worstHeapPerRun);
        System.out.printf(Locale.ROOT, "| peak in flight / peak threads (before: %d) | %d / %d | no thread per run"
                + " |%n", baseThreads, peakInFlight, peakThreads);
        System.out.printf(Locale.ROOT, "| submit time for %d runs / total time | %.1f s / %.1f s | - |%n", runs,
                submitSeconds, totalSeconds);
    }

    /** The least-squares slope of heap over runs in flight: what one more run in flight costs. */
    private static double slope(java.util.List<double[]> samples) {
        if (samples.size() < 2) {
            return Double.NaN;
        }
        double mx = samples.stream().mapToDouble(p -> p[0]).average().orElse(0);
        double my = samples.stream().mapToDouble(p -> p[1]).average().orElse(0);
        double sxy = 0;
        double sxx = 0;
        for (double[] p : samples) {
            sxy += (p[0] - mx) * (p[1] - my);
            sxx += (p[0] - mx) * (p[0] - mx);
        }
        return sxx == 0 ? Double.NaN : sxy / sxx;
    }

    /** Whether a run ended because of throttling: an AWS throttling error among its causes. */
    private static boolean throttled(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof software.amazon.awssdk.awscore.exception.AwsServiceException a
                    && a.isThrottlingException()) {
                return true;
            }
        }
        return false;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static JsonNode stats(URI endpoint) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(endpoint.resolve("/_stats"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body());
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    private static String javaBin() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}
