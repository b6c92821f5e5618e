package io.flowport.env.aci;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.core.spi.BackendLifecycle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts many concurrent runs (default 500) through {@link ContainerInstanceEnvironment#submit} against a
 * {@link LocalArmServer} with ARM's throttling (reads 25/s, writes 10/s, times {@code scale}; 429 with
 * Retry-After beyond), latency, a share of create answers lost after the group was created, and Retry-After: 1 on
 * long-running operations, and prints the ARM calls per run and per poll. Not part of {@code verify} (its name
 * does not end in Test); run it with
 * <pre>./mvnw -B -pl env-aci -am test -Dtest=AciLoadBenchmark -Dsurefire.failIfNoSpecifiedTests=false</pre>
 * Options as system properties: {@code benchmark.runs}, {@code benchmark.scale}, {@code benchmark.runMs},
 * {@code benchmark.provisionMs}, {@code benchmark.loseRate}, {@code benchmark.pageSize},
 * {@code benchmark.readsPerSecond} (the client's read pace; default 10 times {@code scale}).
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class AciLoadBenchmark {

    @Test
    void manyConcurrentRuns() throws Exception {
        int runs = Integer.getInteger("benchmark.runs", 500);
        double scale = Double.parseDouble(System.getProperty("benchmark.scale", "5"));
        int runMs = Integer.getInteger("benchmark.runMs", 12_000);
        int provisionMs = Integer.getInteger("benchmark.provisionMs", 2_000);
        double loseRate = Double.parseDouble(System.getProperty("benchmark.loseRate", "0.01"));
        int pageSize = Integer.getInteger("benchmark.pageSize", 1000);
        double clientReads = Double.parseDouble(System.getProperty("benchmark.readsPerSecond",
                String.valueOf(ContainerInstanceEnvironment.DEFAULT_READS_PER_SECOND * scale)));

        try (LocalArmServer server = new LocalArmServer(64)) {
            server.rateLimit(25 * scale, 250, 10 * scale, 200);
            server.latency(Duration.ofMillis(10));
            server.loseCreateAnswers(loseRate);
            server.lroRetryAfter(1);
            server.deleteDuration(Duration.ofSeconds(1));
            server.pageSize(pageSize);
            server.autoRun(Duration.ofMillis(provisionMs), Duration.ofMillis(runMs));
            BackendLifecycle.Settings lifecycle = BackendLifecycle.Settings.defaults().withThreads(16);
            ContainerInstanceEnvironment env = Fixtures.base().resourceManagerEndpoint(server.endpoint())
                    .readsPerSecond(clientReads).lifecycleSettings(lifecycle).build();
            Flow flow = Flow.command("load", CommandSpec.of("sh", "-c", "echo working; exit 0"));
            try {
                env.setup(flow);
                Map<String, Integer> afterSetup = server.calls();
                long start = System.nanoTime();
                Map<StateType, Integer> states = new ConcurrentHashMap<>();
                Map<String, Instant> noticed = new ConcurrentHashMap<>();
                Map<String, Instant> completed = new ConcurrentHashMap<>();
                List<String> warnings = Collections.synchronizedList(new ArrayList<>());
                List<CompletableFuture<FlowRunResult>> futures = new ArrayList<>(runs);
                for (int i = 0; i < runs; i++) {
                    futures.add(env.submit(flow, FlowRun.create()).whenComplete((r, e) -> {
                        if (r != null) {
                            states.merge(r.state().type(), 1, Integer::sum);
                            String name = env.groupNameFor(r.flowRunId());
                            noticed.put(name, r.startedAt().plus(r.duration()));
                            completed.put(name, Instant.now());
                            warnings.addAll(r.warnings());
                        } else {
                            states.merge(StateType.CRASHED, 1, Integer::sum);
                        }
                    }));
                }
                int peakInFlight = 0;
                for (CompletableFuture<FlowRunResult> f : futures) {
                    while (!f.isDone()) {
                        peakInFlight = Math.max(peakInFlight, env.runsInFlight());
                        try {
                            f.get(1, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.TimeoutException e) {
                            // keep sampling in-flight runs until this one is done
                        }
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                report(server, afterSetup, runs, scale, clientReads, runMs, provisionMs, loseRate, pageSize, states,
                        noticed, completed, warnings, peakInFlight, seconds);
                assertThat(states).containsOnlyKeys(StateType.SUCCESS);
                assertThat(server.restarts()).isZero();
                assertThat(server.createdPerName().values()).allMatch(n -> n == 1);
                assertThat(server.groupNames()).isEmpty();
            } finally {
                env.close();
            }
        }
    }

    private static void report(LocalArmServer server, Map<String, Integer> afterSetup, int runs, double scale,
                               double clientReads, int runMs, int provisionMs, double loseRate, int pageSize,
                               Map<StateType, Integer> states, Map<String, Instant> noticed,
                               Map<String, Instant> completed, List<String> warnings, int peakInFlight,
                               double seconds) {
        Map<String, Integer> calls = new TreeMap<>();
        server.calls().forEach((op, n) -> {
            if (n - afterSetup.getOrDefault(op, 0) > 0) {
                calls.put(op, n - afterSetup.getOrDefault(op, 0));
            }
        });
        // reads of single groups: 404 = the check before a create, 200 = status reads (and adoptions)
        long absent = server.callLog().stream().filter(c -> c.operation().equals("Get") && c.status() == 404).count();
        calls.remove("Get");
        calls.put("Get404", (int) absent);
        calls.put("Get200", (int) server.callLog().stream()
                .filter(c -> c.operation().equals("Get") && c.status() != 404).count());
        int total = calls.values().stream().mapToInt(Integer::intValue).sum();
        List<Integer> getsPerPoll = server.getsPerPoll();
        int polls = calls.getOrDefault("List", 0);
        List<Long> notice = new ArrayList<>();
        List<Long> done = new ArrayList<>();
        server.exits().forEach((name, exit) -> {
            if (noticed.containsKey(name)) {
                notice.add(Duration.between(exit, noticed.get(name)).toMillis());
                done.add(Duration.between(exit, completed.get(name)).toMillis());
            }
        });
        Collections.sort(notice);
        Collections.sort(done);
        long throttled = server.throttled().values().stream().mapToInt(Integer::intValue).sum();
        long reads = server.callLog().stream().filter(c -> !c.operation().equals("Put")
                && !c.operation().equals("Delete") && !c.operation().equals("Stop")).count();

        System.out.println();
        System.out.printf(Locale.ROOT, "%d runs, scale x%s: ARM limits reads %.0f/s, writes %.0f/s (429 + Retry-After "
                        + "beyond), client readsPerSecond %.0f, latency 10 ms, lost create answers %d (rate %.2f), "
                        + "LRO Retry-After 1 s, provision %d ms, run %d ms, list page %d%n", runs, fmt(scale),
                25 * scale, 10 * scale, clientReads, server.lostAnswers(), loseRate, provisionMs, runMs, pageSize);
        System.out.println();
        System.out.println("| ARM call | calls | per run |");
        System.out.println("|---|---:|---:|");
        calls.forEach((op, n) -> System.out.printf(Locale.ROOT, "| %s | %d | %.2f |%n", label(op), n,
                n / (double) runs));
        System.out.printf(Locale.ROOT, "| **all** | %d | %.2f |%n", total, total / (double) runs);
        System.out.println();
        System.out.println("| measure | value |");
        System.out.println("|---|---:|");
        System.out.printf(Locale.ROOT, "| polls (one list each) | %d |%n", polls);
        System.out.printf(Locale.ROOT, "| list calls per poll | %.2f |%n",
                polls == 0 ? 0 : calls.getOrDefault("List", 0) / (double) polls);
        System.out.printf(Locale.ROOT, "| single-group reads per poll: mean / max | %.1f / %d |%n",
                getsPerPoll.stream().mapToInt(Integer::intValue).average().orElse(0),
                getsPerPoll.stream().mapToInt(Integer::intValue).max().orElse(0));
        System.out.printf(Locale.ROOT, "| reads per second, whole run (client budget %.0f/s) | %.1f |%n",
                clientReads, reads / seconds);
        System.out.printf(Locale.ROOT, "| 429 answers (all absorbed) | %d %s |%n", throttled, server.throttled());
        System.out.printf(Locale.ROOT, "| container groups created per run / restarted by a second PUT | %d max / %d |%n",
                server.createdPerName().values().stream().mapToInt(Integer::intValue).max().orElse(0),
                server.restarts());
        System.out.printf(Locale.ROOT, "| container exit → run ended: p50 / p95 / max | %s / %s / %s |%n",
                pct(notice, 50), pct(notice, 95), pct(notice, 100));
        System.out.printf(Locale.ROOT, "| container exit → result with logs, group deleted: p50 / p95 / max | %s / %s / %s |%n",
                pct(done, 50), pct(done, 95), pct(done, 100));
        System.out.printf(Locale.ROOT, "| final states | %s |%n", new TreeMap<>(states));
        System.out.printf(Locale.ROOT, "| warnings | %d |%n", warnings.size());
        System.out.printf(Locale.ROOT, "| container groups left | %d |%n", server.groupNames().size());
        System.out.printf(Locale.ROOT, "| peak runs in flight | %d |%n", peakInFlight);
        System.out.printf(Locale.ROOT, "| wall time | %.1f s |%n", seconds);
        System.out.println();
    }

    private static String label(String op) {
        return switch (op) {
            case "Get404" -> "GET container group → 404 (the check before each create)";
            case "Get200" -> "GET container group (status reads; adoption after a lost answer)";
            case "List" -> "GET list of the resource group's container groups";
            case "Put" -> "PUT container group (create)";
            case "Delete" -> "DELETE container group";
            case "OperationResult" -> "GET delete operation (Location)";
            case "Logs" -> "GET container logs";
            case "Stop" -> "POST stop";
            default -> op;
        };
    }

    private static String pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return "-";
        }
        int i = Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1);
        return String.format(Locale.ROOT, "%.1f s", sorted.get(Math.max(0, i)) / 1000.0);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
