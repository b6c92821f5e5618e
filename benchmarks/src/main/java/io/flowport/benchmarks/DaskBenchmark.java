package io.flowport.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;
import io.flowport.core.State;
import io.flowport.core.TaskSpec;
import io.flowport.env.dask.DaskCloudProviderEnvironment;
import io.flowport.env.dask.DaskSecurity;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Dask engine against Dask itself, on this machine, in one run (ratios are what to quote: these machines are
 * noisy): time to a ready 2-worker cluster (Flowport with and without TLS, Dask's own {@code LocalCluster});
 * 1,000 trivial command tasks ({@code true}) through {@code Executor.dask} and through {@code client.map} on the
 * same cluster; and how fast the adaptive loop reacts. Needs Debian's {@code python3-distributed}.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.flowport.benchmarks.DaskBenchmark [rounds [start,executor,adaptive]]</pre>
 */
public final class DaskBenchmark {

    private static final String PYTHON = "/usr/bin/python3";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DASHBOARD = Pattern.compile("dashboard (\\S+)");

    private DaskBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        String only = args.length > 1 ? args[1] : "start,executor,adaptive";
        List<String> rows = new ArrayList<>();
        rows.add(String.format("%-58s %12s", "measure (median of " + rounds + ")", "result"));

        if (only.contains("start")) {
            clusterStart(rounds, rows);
        }
        if (only.contains("executor")) {
            executorOverhead(rounds, rows);
        }
        if (only.contains("adaptive")) {
            adaptive(rounds, rows);
        }
        System.out.println();
        rows.forEach(System.out::println);
    }

    private static void clusterStart(int rounds, List<String> rows) throws Exception {
        List<Double> tls = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        List<Double> daskWithImport = new ArrayList<>();
        List<Double> daskAfterImport = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            tls.add(clusterReady(true));
            plain.add(clusterReady(false));
            JsonNode d = python("dask_cluster_start.py");
            daskWithImport.add(d.path("with_import_s").asDouble());
            daskAfterImport.add(d.path("after_import_s").asDouble());
        }
        rows.add(row("execute -> ready cluster, 2 workers, Flowport local, TLS (s)", median(tls)));
        rows.add(row("execute -> ready cluster, 2 workers, Flowport local, no TLS (s)", median(plain)));
        rows.add(row("LocalCluster(n_workers=2, processes=True), from python start (s)", median(daskWithImport)));
        rows.add(row("LocalCluster(n_workers=2, processes=True), imports done (s)", median(daskAfterImport)));
        rows.add(row("  ratio Flowport TLS / LocalCluster from python start", median(tls) / median(daskWithImport)));
    }

    private static void executorOverhead(int rounds, List<String> rows) throws Exception {
        try (PlainCluster cluster = PlainCluster.start(2)) {
            Flow flow = trivialCommands(1000);
            List<Double> flowport = new ArrayList<>();
            List<Double> daskMap = new ArrayList<>();
            List<Double> daskMapTasks = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                FlowRunResult r = Executor.dask(cluster.address).execute(flow, FlowRun.create());
                flowport.add((System.nanoTime() - t0) / 1e9);
                if (!r.isSuccess()) {
                    throw new IllegalStateException("benchmark flow failed: " + r.state());
                }
                JsonNode d = python("dask_client_map.py", cluster.address, "1000");
                daskMap.add(d.path("with_connect_s").asDouble());
                daskMapTasks.add(d.path("tasks_s").asDouble());
            }
            rows.add(row("1,000 x `true`: Executor.dask, connect + run (s)", median(flowport)));
            rows.add(row("1,000 x `true`: client.map + gather, connect + run (s)", median(daskMap)));
            rows.add(row("1,000 x `true`: client.map + gather, run only (s)", median(daskMapTasks)));
            rows.add(row("  ratio Executor.dask / client.map (both with connect)", median(flowport) / median(daskMap)));
        }
    }

    private static void adaptive(int rounds, List<String> rows) throws Exception {
        List<Double> up = new ArrayList<>();
        List<Double> down = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            double[] r = adaptiveReaction();
            up.add(r[0]);
            down.add(r[1]);
        }
        rows.add(row("adaptive: work queued -> 2nd worker joined (s)", median(up)));
        rows.add(row("adaptive: last task done -> worker retired (s)", median(down)));
    }

    /** Seconds from execute to the cluster's workers having joined (the RUNNING phase). */
    private static double clusterReady(boolean tls) {
        long[] t = new long[2];
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void runStarted(Flow flow, FlowRun r) {
                t[0] = System.nanoTime();
            }

            @Override
            public void runPhaseChanged(FlowRun r, PhaseChange change) {
                if (change.phase() == RunPhase.RUNNING) {
                    t[1] = System.nanoTime();
                }
            }
        }).build();
        long start = System.nanoTime();
        FlowRunResult r = DaskCloudProviderEnvironment.builder().providerSetting("nWorkers", 2)
                .security(new DaskSecurity(tls, false)).build()
                .execute(Flow.command("ready", CommandSpec.of("true")), run);
        if (!r.isSuccess() || t[1] == 0) {
            throw new IllegalStateException("cluster did not start: " + r.state());
        }
        return (t[1] - start) / 1e9;
    }

    /** {scale-up reaction, scale-down reaction} in seconds. */
    private static double[] adaptiveReaction() throws Exception {
        Flow.Builder b = Flow.builder("adaptive");
        String[] burst = new String[12];
        for (int i = 0; i < burst.length; i++) {
            burst[i] = "b" + i;
            b.task(burst[i], new CommandTask(CommandSpec.of("sleep", "1")));
        }
        b.task("idle").after(burst).run(ctx -> {
            Thread.sleep(15_000);
            return null;
        });
        Flow flow = b.build();
        CompletableFuture<String> dashboard = new CompletableFuture<>();
        long[] t = new long[3]; // running, last burst task done
        int[] done = new int[1];
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void runPhaseChanged(FlowRun r, PhaseChange change) {
                Matcher m = DASHBOARD.matcher(change.detail());
                if (change.phase() == RunPhase.LAUNCHED && m.find()) {
                    dashboard.complete(m.group(1));
                }
                if (change.phase() == RunPhase.RUNNING) {
                    t[0] = System.nanoTime();
                }
            }

            @Override
            public synchronized void taskStateChanged(FlowRun r, TaskSpec task, State state) {
                if (task.name().startsWith("b") && state.isSuccess() && ++done[0] == burst.length) {
                    t[1] = System.nanoTime();
                }
            }
        }).build();
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder().adaptiveMinWorkers(1)
                .adaptiveMaxWorkers(2).adaptiveInterval(Duration.ofMillis(500)).build();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env.execute(flow, run));
        HttpClient http = HttpClient.newBuilder().sslContext(trustAll()).build();
        URI api = URI.create(dashboard.get(120, TimeUnit.SECONDS)).resolve("/api/v1/get_workers");
        long upAt = 0;
        long downAt = 0;
        while (!f.isDone() && downAt == 0) {
            int n;
            try {
                n = JSON.readTree(http.send(HttpRequest.newBuilder(api).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).path("num_workers").asInt();
            } catch (IOException e) {
                n = -1;
            }
            long now = System.nanoTime();
            if (n == 2 && upAt == 0) {
                upAt = now;
            } else if (n == 1 && upAt != 0 && t[1] != 0) {
                downAt = now;
            }
            Thread.sleep(100);
        }
        FlowRunResult r = f.get(120, TimeUnit.SECONDS);
        if (!r.isSuccess() || upAt == 0 || downAt == 0) {
            throw new IllegalStateException("adaptive run: " + r.state() + ", up " + upAt + ", down " + downAt);
        }
        return new double[]{(upAt - t[0]) / 1e9, (downAt - t[1]) / 1e9};
    }

    private static Flow trivialCommands(int n) {
        Flow.Builder b = Flow.builder("trivial");
        for (int i = 0; i < n; i++) {
            b.task("t" + i, new CommandTask(CommandSpec.of("true")));
        }
        return b.build();
    }

    private static JsonNode python(String script, String... args) throws Exception {
        Path file = Files.createTempFile("flowport-bench-", ".py");
        try (InputStream in = DaskBenchmark.class.getResourceAsStream("python/" + script)) {
            Files.write(file, in.readAllBytes());
        }
        List<String> cmd = new ArrayList<>(List.of(PYTHON, file.toString()));
        Collections.addAll(cmd, args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(script + " failed: " + out);
        }
        Files.deleteIfExists(file);
        String[] lines = out.trim().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static String row(String what, double value) {
        return String.format(Locale.ROOT, "%-58s %12.2f", what, value);
    }

    private static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[]{new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ctx;
    }

    /** A plain (no TLS) scheduler and workers started as a Dask user would, shared by both clients. */
    private static final class PlainCluster implements AutoCloseable {
        final String address;
        final List<Process> processes = new ArrayList<>();

        private PlainCluster(String address) {
            this.address = address;
        }

        static PlainCluster start(int workers) throws Exception {
            Path dir = Files.createTempDirectory("flowport-bench-dask");
            Path file = dir.resolve("scheduler.json");
            Process s = new ProcessBuilder(PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                    "--port", "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", file.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("s.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(file) || Files.size(file) == 0) {
                if (System.nanoTime() > deadline) {
                    s.destroyForcibly();
                    throw new IllegalStateException("the scheduler did not start");
                }
                Thread.sleep(50);
            }
            Thread.sleep(100);
            PlainCluster c = new PlainCluster(JSON.readTree(file.toFile()).path("address").asText());
            c.processes.add(s);
            for (int i = 0; i < workers; i++) {
                c.processes.add(new ProcessBuilder(PYTHON, "-m", "distributed.cli.dask_worker", c.address,
                        "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny")
                        .redirectErrorStream(true).redirectOutput(dir.resolve("w" + i + ".log").toFile()).start());
            }
            Thread.sleep(3_000); // the workers join
            return c;
        }

        @Override
        public void close() throws InterruptedException {
            for (Process p : processes) {
                p.destroy();
            }
            for (Process p : processes) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }
}
