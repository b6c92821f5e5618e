package io.flowport.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.env.fargate.FargateTaskEnvironment;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent under load, against the local ECS server in its own JVM (RunTask and DescribeTasks behind token buckets
 * at 25 times AWS's rates, so that ECS is not what limits; 5 ms latency):
 * <ol>
 *   <li>1,000 runs in flight on an agent in a child JVM killed with {@code kill -9}: time until a restarted agent has
 *       reattached to all of them;</li>
 *   <li>10,000 runs submitted at once to one agent on the embedded queue: claims per second, launches per second,
 *       heap per run in flight;</li>
 *   <li>10,000 runs submitted at a steady 300 per second (15 times ECS's 20/s RunTask ceiling) while the agent runs:
 *       claims per second, submit-to-launch latency p50/p99, the deepest the queue got;</li>
 *   <li>four agents on one PostgreSQL queue, 10,000 runs at once: claims per second in total, double claims.</li>
 * </ol>
 * Not part of {@code verify}: {@code ./mvnw -B -pl agent -am test-compile -Pagent-benchmark}
 * ({@code -Dbenchmark.runs=2000 -Dbenchmark.inFlight=500} for a short run).
 */
public final class AgentBenchmark {

    private AgentBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("runs", 10_000);
        int inFlight = Integer.getInteger("inFlight", 1000);
        Path dir = Files.createTempDirectory("flowport-agent-benchmark");
        Process server = new ProcessBuilder(java(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "io.flowport.env.fargate.LocalAwsServer",
                "threads=64", "scale=25", "latencyMs=5", "runMs=20000").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null || !line.startsWith("PORT ")) {
                throw new IllegalStateException("the ECS test server did not start: " + line);
            }
            URI endpoint = URI.create("http://127.0.0.1:" + line.substring(5).trim());
            System.out.printf(Locale.ROOT, "JVM %s, %d processors, max heap %d MiB; ECS test server %s%n%n",
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().maxMemory() >> 20, endpoint);
            List<String[]> table = new ArrayList<>();
            // recovery first: the test server's ListTasks scans every task it ever had, unlike ECS's index
            recovery(endpoint, dir, inFlight, table);
            burst(endpoint, dir, runs, table);
            steady(endpoint, dir, runs, table);
            postgres(endpoint, runs, table);
            System.out.println();
            System.out.println("| measure | result | goal |");
            System.out.println("|---|---:|---|");
            table.forEach(r -> System.out.println("| " + String.join(" | ", r) + " |"));
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Lifecycle settings an operator would use: ECS's documented read rate (20/s), 32 I/O threads for launches. */
    static final EnvironmentFactory FACTORY = spec -> {
        ObjectNode settings = spec.deepCopy();
        settings.remove("type");
        try {
            return Ecs.JSON.treeToValue(settings, FargateTaskEnvironment.Builder.class)
                    .awsAccessKeyId("AKIDBENCHMARK").awsSecretAccessKey("benchmark")
                    .lifecycleSettings(BackendLifecycle.Settings.builder().threads(32).build()).build();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    };

    /** Records claims and launch latencies as the agent reports them. */
    static final class Recording implements AgentMetrics {
        final ConcurrentLinkedQueue<long[]> claims = new ConcurrentLinkedQueue<>(); // {nanoTime, count}
        final ConcurrentLinkedQueue<Long> launchMillis = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> launchedAt = new ConcurrentLinkedQueue<>(); // nanoTime
        final AtomicLong finished = new AtomicLong();
        final AtomicLong reattached = new AtomicLong();

        @Override
        public void reattached() {
            reattached.incrementAndGet();
        }

        @Override
        public void claimed(int count, int takeovers, Duration latency) {
            if (count > 0) {
                claims.add(new long[]{System.nanoTime(), count});
            }
        }

        @Override
        public void launched(Duration sinceSubmit) {
            launchMillis.add(sinceSubmit.toMillis());
            launchedAt.add(System.nanoTime());
        }

        double launchesPerSecond() {
            long first = launchedAt.stream().mapToLong(Long::longValue).min().orElse(0);
            long last = launchedAt.stream().mapToLong(Long::longValue).max().orElse(0);
            return (launchedAt.size() - 1) / ((last - first) / 1e9);
        }

        @Override
        public void finished(RunState state) {
            finished.incrementAndGet();
        }

        double claimsPerSecond() {
            List<long[]> c = new ArrayList<>(claims);
            long total = c.stream().mapToLong(x -> x[1]).sum();
            long span = c.get(c.size() - 1)[0] - c.get(0)[0];
            // the first claim's runs are counted at its end: the span covers the others
            return (total - c.get(0)[1]) / (span / 1e9);
        }

        long percentile(double p) {
            long[] all = launchMillis.stream().mapToLong(Long::longValue).sorted().toArray();
            return all[Math.min(all.length - 1, (int) Math.ceil(p * all.length) - 1)];
        }
    }

    private static List<RunRequest> requests(URI endpoint, int n, String script, String label) {
        String env = Ecs.envJson(endpoint, label);
        List<RunRequest> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(RunRequest.builder(Ecs.flow("bench", script)).environmentJson(env).build());
        }
        return out;
    }

    private static void burst(URI endpoint, Path dir, int runs, List<String[]> table) throws Exception {
        System.out.println("1. " + runs + " runs submitted at once to one agent (embedded queue)");
        try (RunQueue queue = EmbeddedRunQueue.open(dir.resolve("burst.db"))) {
            List<RunRequest> all = requests(endpoint, runs, "sleep 20; exit 0", "burst");
            long s0 = System.nanoTime();
            for (int from = 0; from < runs; from += 500) {
                queue.submitAll(all.subList(from, Math.min(runs, from + 500)));
            }
            double submitSeconds = (System.nanoTime() - s0) / 1e9;
            long baseline = usedHeapAfterGc();
            Recording rec = new Recording();
            Agent agent = Agent.builder(queue).id("bench-burst").labels("burst").environmentFactory(FACTORY)
                    .maxConcurrent(runs).metrics(rec).ttl(null).build().start();
            List<double[]> samples = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            int peak = 0;
            double worst = 0;
            while (rec.finished.get() < runs && System.nanoTime() < deadline) {
                TimeUnit.SECONDS.sleep(2);
                int n = agent.inFlight();
                peak = Math.max(peak, n);
                long heap = usedHeapAfterGc();
                if (n >= 1000) {
                    samples.add(new double[]{n, heap - baseline});
                    worst = Math.max(worst, (heap - baseline) / (double) n);
                }
                System.out.printf(Locale.ROOT, "   in flight %5d, finished %5d, heap %+6.1f MiB%n", n,
                        rec.finished.get(), (heap - baseline) / 1048576.0);
            }
            agent.shutdown(false, Duration.ofSeconds(30));
            double claims = rec.claimsPerSecond();
            table.add(new String[]{"submit " + runs + " runs to the embedded queue (batches of 500)",
                    fmt("%.0f runs/s", runs / submitSeconds), "-"});
            table.add(new String[]{"claims per second, one agent, " + runs + " queued",
                    fmt("%.0f/s", claims), ">= 200/s (10 x ECS's 20/s RunTask)"});
            table.add(new String[]{"launches per second (RunTask answered, first to last)",
                    fmt("%.0f/s", rec.launchesPerSecond()), ">= 200/s"});
            table.add(new String[]{"heap per run in flight: heap over the baseline / runs in flight, worst of "
                    + samples.size() + " samples >= 1000 in flight (peak " + peak + "); slope of heap over runs in "
                    + "flight", fmt("%.1f KiB; %.1f KiB", worst / 1024, slope(samples) / 1024), "-"});
            table.add(new String[]{"final states", String.valueOf(queue.counts()), "all SUCCESS"});
        }
    }

    private static void steady(URI endpoint, Path dir, int runs, List<String[]> table) throws Exception {
        int rate = Integer.getInteger("rate", 300);
        System.out.println("2. " + runs + " runs submitted at " + rate + "/s while one agent runs");
        try (RunQueue queue = EmbeddedRunQueue.open(dir.resolve("steady.db"))) {
            Recording rec = new Recording();
            Agent agent = Agent.builder(queue).id("bench-steady").labels("steady").environmentFactory(FACTORY)
                    .maxConcurrent(runs).metrics(rec).ttl(null).pollInterval(Duration.ofMillis(100)).build().start();
            List<RunRequest> all = requests(endpoint, runs, "sleep 5; exit 0", "steady");
            int perTick = rate / 10;
            long start = System.nanoTime();
            long deepest = 0;
            for (int from = 0, tick = 0; from < runs; from += perTick, tick++) {
                long at = start + tick * 100_000_000L;
                long wait = at - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                queue.submitAll(all.subList(from, Math.min(runs, from + perTick)));
                if (tick % 10 == 0) {
                    deepest = Math.max(deepest, queue.counts().getOrDefault(RunState.QUEUED, 0L));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (rec.launchMillis.size() < runs && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(200);
            }
            double claims = rec.claimsPerSecond();
            agent.shutdown(false, Duration.ofSeconds(30));
            table.add(new String[]{"claims per second while runs arrive at " + rate + "/s",
                    fmt("%.0f/s", claims), "keeps up (= " + rate + "/s)"});
            table.add(new String[]{"submit to launch, p50 / p99 (" + rec.launchMillis.size() + " runs)",
                    fmt("%d ms / %d ms", rec.percentile(0.5), rec.percentile(0.99)), "-"});
            table.add(new String[]{"most runs waiting in the queue (sampled every second)", String.valueOf(deepest),
                    "small: the agent is not the bottleneck"});
        }
    }

    private static void recovery(URI endpoint, Path dir, int inFlight, List<String[]> table) throws Exception {
        System.out.println("3. " + inFlight + " runs in flight on an agent killed with kill -9, then restarted");
        String url = dir.resolve("recovery.db").toString();
        try (RunQueue queue = RunQueues.open(url)) {
            List<String> ids = queue.submitAll(requests(endpoint, inFlight, "sleep 600; exit 0", "recovery"));
            try (ChildJvm doomed = ChildJvm.start(AgentMain.class, ChildJvm.log("benchmark-doomed"), List.of(),
                    "queue=" + url, "id=bench-recovery", "labels=recovery", "max=" + inFlight, "leaseMs=30000",
                    "heartbeatMs=10000")) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                while (running(queue, ids.size(), 1) < inFlight && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(500);
                }
                doomed.kill();
            }
            long start = System.nanoTime();
            Recording rec = new Recording();
            Agent agent = Agent.builder(queue).id("bench-recovery").labels("recovery").environmentFactory(FACTORY)
                    .maxConcurrent(inFlight).metrics(rec).ttl(null).build().start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            // every run found by its label (reattached), then seen running by the poller again and recorded so
            while (rec.reattached.get() < inFlight && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            double found = (System.nanoTime() - start) / 1e9;
            while (running(queue, ids.size(), 2) < inFlight && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            long reattached = rec.reattached.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            JsonNode stats = Ecs.stats(endpoint);
            agent.shutdown(false, Duration.ofSeconds(30));
            table.add(new String[]{"recovery after kill -9 with " + inFlight + " in flight: restart to all found by label"
                    + " and reattached (" + reattached + "); to all seen running again by the poller",
                    fmt("%.1f s; %.1f s", found, seconds), "-; another agent first waits for the lease (30 s default)"});
            table.add(new String[]{"runs with more than one ECS task after the crash",
                    stats.path("runsWithMoreThanOneTask").asText(), "0"});
        }
    }

    /** Runs in RUNNING, held under their {@code claims}-th claim. */
    private static long running(RunQueue queue, int limit, int claims) {
        return queue.list(EnumSet.of(RunState.RUNNING), limit).stream().filter(r -> r.claims() == claims).count();
    }

    private static void postgres(URI endpoint, int runs, List<String[]> table) throws Exception {
        String why = PostgresServer.unavailable();
        if (why != null) {
            table.add(new String[]{"4 agents on PostgreSQL", "skipped: " + why, "-"});
            return;
        }
        System.out.println("4. " + runs + " runs at once to four agents on one PostgreSQL queue");
        String url = PostgresServer.shared().newDatabase();
        JsonNode before = Ecs.stats(endpoint);
        try (RunQueue submitter = RunQueues.open(url)) {
            List<RunRequest> all = requests(endpoint, runs, "sleep 2; exit 0", "pg");
            for (int from = 0; from < runs; from += 500) {
                submitter.submitAll(all.subList(from, Math.min(runs, from + 500)));
            }
            List<Agent> agents = new ArrayList<>();
            List<RunQueue> queues = new ArrayList<>();
            List<Recording> recs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                RunQueue q = PostgresRunQueue.builder().url(url).build();
                Recording rec = new Recording();
                queues.add(q);
                recs.add(rec);
                agents.add(Agent.builder(q).id("bench-pg-" + i).labels("pg").environmentFactory(FACTORY)
                        .maxConcurrent(runs).metrics(rec).ttl(null).build());
            }
            agents.forEach(Agent::start);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (recs.stream().mapToLong(r -> r.finished.get()).sum() < runs && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(500);
            }
            agents.forEach(a -> a.shutdown(false, Duration.ofSeconds(30)));
            queues.forEach(RunQueue::close);
            long first = recs.stream().flatMap(r -> r.claims.stream()).mapToLong(c -> c[0]).min().orElse(0);
            long last = recs.stream().flatMap(r -> r.claims.stream()).mapToLong(c -> c[0]).max().orElse(0);
            long claimed = agents.stream().mapToLong(Agent::claimed).sum();
            JsonNode after = Ecs.stats(endpoint);
            int runTasks = after.path("calls").path("RunTask").asInt() - before.path("calls").path("RunTask").asInt()
                    - (after.path("lostAnswers").asInt() - before.path("lostAnswers").asInt())
                    - (after.path("throttledByOperation").path("RunTask").asInt()
                    - before.path("throttledByOperation").path("RunTask").asInt());
            table.add(new String[]{"claims per second, 4 agents on PostgreSQL, " + runs + " queued (claims per agent "
                    + Arrays.toString(agents.stream().mapToInt(Agent::claimed).toArray()) + ")",
                    fmt("%.0f/s", claimed / ((last - first) / 1e9)), ">= 200/s"});
            table.add(new String[]{"double claims: runs claimed - runs, RunTask calls (less retries) - runs",
                    (claimed - runs) + ", " + (runTasks - runs), "0, 0"});
            table.add(new String[]{"final states (PostgreSQL)", String.valueOf(submitter.counts()), "all SUCCESS"});
        }
    }

    private static double slope(List<double[]> samples) {
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

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }

    private static String java() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}
