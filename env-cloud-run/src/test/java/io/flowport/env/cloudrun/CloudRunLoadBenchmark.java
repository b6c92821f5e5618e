package io.flowport.env.cloudrun;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.StateType;
import io.flowport.core.spi.BackendLifecycle;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Launches and follows many concurrent runs (default 1,000) through {@link CloudRunJobEnvironment#submit} against a
 * {@link LocalCloudRun} with Cloud Run's default quotas scaled up ({@code scale}): job runs 3/s (180 per minute)
 * and Admin API reads 10/s (1,000 per 100 s), both times {@code scale}; 20 ms latency on every call and a share
 * of RunJob answers lost after the execution was created. Executions pend 0.5 s and run {@code runMs}, long
 * enough for every run to be in flight at once. Prints API calls per run, status calls per poll and whether the
 * targets hold. Not part of {@code verify}; bounded by {@code runs} and a 10-minute limit:
 * <pre>./mvnw -B -q -pl env-cloud-run -am verify -DskipTests -Pcloud-run-benchmark</pre>
 * Options as system properties ({@code -Dbenchmark.runs=…} on the command line): {@code runs}, {@code scale},
 * {@code loseRate}, {@code runMs}.
 */
public final class CloudRunLoadBenchmark {

    private CloudRunLoadBenchmark() {
    }

    /**
     * Runs the benchmark and prints its tables.
     *
     * @param args unused; options are system properties
     * @throws Exception if the benchmark cannot run or does not finish within 10 minutes
     */
    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("runs", 1000);
        double scale = Double.parseDouble(System.getProperty("scale", "20"));
        double loseRate = Double.parseDouble(System.getProperty("loseRate", "0.01"));
        int runMs = Integer.getInteger("runMs", 25_000);
        double runJobCeiling = CloudRunJobEnvironment.DEFAULT_LAUNCHES_PER_SECOND * scale;
        double readCeiling = CloudRunJobEnvironment.DEFAULT_READS_PER_SECOND * scale;

        try (LocalCloudRun server = new LocalCloudRun()) {
            server.latency = Duration.ofMillis(20);
            server.loseRunJobAnswerRate = loseRate;
            server.operationPolls = 1;
            server.runJobQuota(runJobCeiling, (int) Math.ceil(runJobCeiling));
            server.readQuota(readCeiling, (int) Math.ceil(readCeiling));
            server.autoRun(Duration.ofMillis(500), Duration.ofMillis(runMs));

            CloudRunJobEnvironment env = Fixtures.env(server)
                    .launchesPerSecond(runJobCeiling).readsPerSecond(readCeiling)
                    .operationPollInterval(Duration.ofMillis(200))
                    .lifecycleSettings(BackendLifecycle.Settings.defaults().withLaunchesPerSecond(runJobCeiling)
                            .withThreads(16))
                    .build();
            Flow flow = Flow.command("load", CommandSpec.of("sh", "-c", "exit 0"));
            env.setup(flow);
            Map<String, Integer> setupCalls = server.allCalls();

            long start = System.nanoTime();
            Map<StateType, Integer> states = new ConcurrentHashMap<>();
            CountDownLatch done = new CountDownLatch(runs);
            for (int i = 0; i < runs; i++) {
                env.submit(flow, FlowRun.create()).whenComplete((r, e) -> {
                    states.merge(r == null ? StateType.CRASHED : r.state().type(), 1, Integer::sum);
                    done.countDown();
                });
            }
            int peakInFlight = 0;
            int peakRunning = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (!done.await(1, TimeUnit.SECONDS)) {
                peakInFlight = Math.max(peakInFlight, env.runsInFlight());
                peakRunning = Math.max(peakRunning, server.unfinishedExecutions());
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the benchmark did not finish within 10 minutes");
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            env.close();

            Map<String, Integer> calls = new TreeMap<>(server.allCalls());
            setupCalls.forEach((k, v) -> calls.merge(k, -v, Integer::sum));
            calls.values().removeIf(v -> v == 0);
            int lost = server.lostRunJobAnswers();
            int listings = server.listingsStarted();
            int polls = listings - lost; // each lost answer costs one lookup listing; the rest are status reads
            int listCalls = calls.getOrDefault("ListExecutions", 0);

            System.out.printf(Locale.ROOT, "%nruns %d, scale x%s (RunJob ceiling %.0f/s, read ceiling %.0f/s), "
                    + "latency 20 ms, runs last %.1f s, lost RunJob answers %d (rate %.2f)%n%n", runs, fmt(scale),
                    runJobCeiling, readCeiling, runMs / 1000.0, lost, loseRate);
            System.out.println("| operation (after setup) | calls | per run |");
            System.out.println("|---|---:|---:|");
            calls.forEach((op, n) -> System.out.printf(Locale.ROOT, "| %s | %d | %.3f |%n", op, n, n / (double) runs));
            System.out.println();
            System.out.println("| measure | value | target |");
            System.out.println("|---|---:|---|");
            System.out.printf(Locale.ROOT, "| setup: calls (job created once) | %s | GetJob + CreateJob |%n",
                    setupCalls);
            System.out.printf(Locale.ROOT, "| executions / runs | %d / %d | equal |%n", server.executionCount(), runs);
            System.out.printf(Locale.ROOT, "| runs with more than one execution | %d | 0 |%n",
                    server.runsWithMoreThanOneExecution());
            System.out.printf(Locale.ROOT, "| RunJob calls - RunJob quota refusals retried (%d) | %d | %d (one per "
                    + "run) |%n", server.throttled(), calls.getOrDefault("RunJob", 0) - server.throttled(), runs);
            System.out.printf(Locale.ROOT, "| peak runs in flight / peak executions running | %d / %d | %d |%n",
                    peakInFlight, peakRunning, runs);
            System.out.printf(Locale.ROOT, "| status polls / ListExecutions calls for them | %d / %d | - |%n",
                    polls, listCalls - lost);
            System.out.printf(Locale.ROOT, "| status calls per poll (mean) | %.2f | 1 per job (vs %d GetExecution) "
                    + "|%n", (listCalls - lost) / (double) Math.max(1, polls), runs);
            System.out.printf(Locale.ROOT, "| largest ListExecutions page | %d | <= %d |%n", server.largestPage(),
                    CloudRunBackend.PAGE_SIZE);
            System.out.printf(Locale.ROOT, "| GetExecution calls | %d | 0 |%n", calls.getOrDefault("GetExecution", 0));
            System.out.printf(Locale.ROOT, "| final states | %s | all Success |%n", new TreeMap<>(states));
            System.out.printf(Locale.ROOT, "| total time | %.1f s | - |%n", seconds);
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
