package io.flowport.env.dask;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.CommandResult;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;
import io.flowport.core.StateType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Adaptive scaling seen through the scheduler's own {@code /api/v1/get_workers}, and the cluster's TLS: a client
 * without the cluster's certificate and a plain {@code tcp://} client are refused.
 */
@ExtendWith(RequiresDask.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class AdaptiveAndSecurityIT {

    private static final Pattern ADDRESSES = Pattern.compile("scheduler (\\S+), dashboard (\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void nothingLeftRunning() {
        await().atMost(15, TimeUnit.SECONDS).untilAsserted(() -> assertThat(DaskProcesses.all()).isEmpty());
    }

    /** Runs {@code flow} in the background and hands over the scheduler and dashboard addresses once it runs. */
    private static CompletableFuture<FlowRunResult> start(DaskCloudProviderEnvironment env, Flow flow,
                                                          CompletableFuture<String[]> addresses) {
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void runPhaseChanged(FlowRun r, PhaseChange change) {
                Matcher m = ADDRESSES.matcher(change.detail());
                if (change.phase() == RunPhase.LAUNCHED && m.find()) {
                    addresses.complete(new String[]{m.group(1), m.group(2)});
                }
            }
        }).build();
        return CompletableFuture.supplyAsync(() -> env.execute(flow, run));
    }

    @Test
    void queuedWorkScalesUpToTheMaximumAndIdlenessScalesDownWithoutLosingAResult() throws Exception {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .adaptiveMinWorkers(1).adaptiveMaxWorkers(3)
                .adaptiveInterval(Duration.ofMillis(500))
                .build();
        // 24 tasks of 1.5 s each: far more than one single-threaded worker can take within Dask's target duration
        Flow.Builder b = Flow.builder("burst");
        String[] names = new String[24];
        for (int i = 0; i < names.length; i++) {
            names[i] = "t" + i;
            b.task(names[i], new CommandTask(CommandSpec.of("sh", "-c", "sleep 1.5; echo " + i)));
        }
        // then the driver waits while the cluster is idle, and one more task runs on what is left
        b.task("idle").after(names).run(ctx -> {
            Thread.sleep(12_000);
            return "rested";
        });
        Flow flow = b.task(new io.flowport.core.TaskSpec("last", List.of("idle"), 0, Duration.ZERO, null,
                new CommandTask(CommandSpec.of("sh", "-c", "echo last")))).build();

        CompletableFuture<String[]> addresses = new CompletableFuture<>();
        CompletableFuture<FlowRunResult> f = start(env, flow, addresses);
        String dashboard = addresses.get(60, TimeUnit.SECONDS)[1];
        List<Integer> counts = new CopyOnWriteArrayList<>();
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
            counts.add(workers(dashboard));
            return counts.get(counts.size() - 1) == 3;
        });
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
            counts.add(workers(dashboard));
            return counts.get(counts.size() - 1) == 1;
        });
        FlowRunResult r = f.get(120, TimeUnit.SECONDS);
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        for (int i = 0; i < names.length; i++) {
            assertThat(((CommandResult) r.result(names[i]).orElseThrow()).stdout().trim())
                    .as("result of %s", names[i]).isEqualTo(Integer.toString(i));
        }
        assertThat(counts).as("worker counts seen through /api/v1/get_workers").allMatch(c -> c >= 1 && c <= 3);
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> events =
                (List<java.util.Map<String, Object>>) r.detail("dask.workers").orElseThrow();
        assertThat(events).anySatisfy(e -> assertThat(e.get("reason").toString()).contains("queued work"));
        assertThat(events).anySatisfy(e -> assertThat(e.get("reason").toString()).contains("retired"));
    }

    @Test
    void clientsWithoutTheClustersCertificateOrWithoutTlsAreRefused() throws Exception {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder().build();
        Flow flow = Flow.builder("wait").task("wait", new CommandTask(CommandSpec.of("sleep", "43.11"))).build();
        CompletableFuture<String[]> addresses = new CompletableFuture<>();
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env.execute(flow,
                run.toBuilder().listener(new FlowRunListener() {
                    @Override
                    public void runPhaseChanged(FlowRun r, PhaseChange change) {
                        Matcher m = ADDRESSES.matcher(change.detail());
                        if (m.find()) {
                            addresses.complete(new String[]{m.group(1), m.group(2)});
                        }
                    }
                }).build()));
        String scheduler = addresses.get(60, TimeUnit.SECONDS)[0];
        try {
            DaskTls other = DaskTls.generate("another-cluster", Duration.ofHours(1));
            assertThatThrownBy(() -> DaskBridge.connect(DaskExecutor.DEFAULT_PYTHON, scheduler, other,
                    Duration.ofSeconds(5), Duration.ZERO).close())
                    .isInstanceOf(LaunchException.class).hasMessageContaining("could not connect");
            String plain = scheduler.replace("tls://", "tcp://");
            assertThatThrownBy(() -> DaskBridge.connect(DaskExecutor.DEFAULT_PYTHON, plain, null,
                    Duration.ofSeconds(5), Duration.ZERO).close())
                    .isInstanceOf(LaunchException.class).hasMessageContaining("could not connect");
        } finally {
            run.cancellation().cancel("test over");
        }
        assertThat(f.get(60, TimeUnit.SECONDS).state().type()).isEqualTo(StateType.CANCELLED);
    }

    /** The worker count, read from the scheduler's own API (HTTPS; the test does not check the certificate). */
    static int workers(String dashboard) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trustAll()).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(dashboard).resolve("/api/v1/get_workers"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode n = JSON.readTree(r.body());
        return n.path("num_workers").asInt(-1);
    }

    static SSLContext trustAll() throws Exception {
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
}
