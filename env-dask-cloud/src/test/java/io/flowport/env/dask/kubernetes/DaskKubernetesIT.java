package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.flowport.core.CommandResult;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import io.flowport.env.dask.RequiresDask;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * DaskKubernetesEnvironment end to end with real Dask: fabric8's mock API server, and a kubelet that runs each pod's
 * command as a local process ({@link ProcessKubelet}), so that the scheduler and worker pods are real
 * {@code dask-scheduler} / {@code dask-worker} processes speaking TLS with the certificates mounted from the
 * cluster's Secret. The flow's command tasks compute on them; afterwards nothing is left with the run's label, and
 * no process.
 */
@ExtendWith(RequiresDask.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DaskKubernetesIT {

    static final String NS = "dask";

    private KubernetesTestServer server;
    private ProcessKubelet kubelet;

    @BeforeEach
    void start() {
        server = KubernetesTestServer.start();
        kubelet = (ProcessKubelet) new ProcessKubelet(server, NS).start();
    }

    @AfterEach
    void stop() {
        try {
            await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> assertThat(kubelet.alive())
                    .as("Dask processes of pods left after the test").isEmpty());
        } finally {
            kubelet.close();
            server.close();
        }
    }

    static DaskKubernetesEnvironment.Builder env(KubernetesTestServer server) {
        return DaskKubernetesEnvironment.builder()
                .environmentVariables(Map.of())
                .platformProvider(KubernetesDaskPlatform.provider(server.client()))
                .namespace(NS)
                // the pods' "image" is this machine: Debian's Python with Dask
                .podPython("/usr/bin/python3");
    }

    /** Everything in the namespace that carries the run's label. */
    static List<String> leftovers(KubernetesClient client, String runId) {
        String value = Labels.safeValue(runId);
        List<String> out = new ArrayList<>();
        client.pods().inNamespace(NS).withLabel(Labels.FLOW_RUN_ID, value).list().getItems()
                .forEach(p -> out.add("pod " + p.getMetadata().getName()));
        client.services().inNamespace(NS).withLabel(Labels.FLOW_RUN_ID, value).list().getItems()
                .forEach(p -> out.add("service " + p.getMetadata().getName()));
        client.secrets().inNamespace(NS).withLabel(Labels.FLOW_RUN_ID, value).list().getItems()
                .forEach(p -> out.add("secret " + p.getMetadata().getName()));
        return out;
    }

    static List<Pod> workerPods(KubernetesClient client) {
        return client.pods().inNamespace(NS).withLabel(KubernetesDaskPlatform.ROLE_LABEL, "worker").list()
                .getItems().stream().filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
                .toList();
    }

    /** {@code n} command tasks that each print a square, and a Java task in the driver that adds them up. */
    static Flow squares(int n) {
        Flow.Builder b = Flow.builder("squares");
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = "square-" + i;
            b.task(names[i], new CommandTask(CommandSpec.of("sh", "-c", "echo $((" + i + " * " + i + "))")));
        }
        b.task("sum").after(names).run(ctx -> ctx.upstreamResults().values().stream()
                .mapToInt(r -> Integer.parseInt(((CommandResult) r).stdout().trim())).sum());
        return b.build();
    }

    @Test
    void commandTasksComputeOnSchedulerAndWorkerPodsAndNothingIsLeft() {
        AtomicReference<List<Pod>> whileRunning = new AtomicReference<>();
        FlowRun run = FlowRun.builder().listener(new FlowRunListener() {
            @Override
            public void runPhaseChanged(FlowRun r, PhaseChange change) {
                if (change.phase() == RunPhase.RUNNING) {
                    whileRunning.set(server.client().pods().inNamespace(NS)
                            .withLabel(Labels.FLOW_RUN_ID, Labels.safeValue(r.id())).list().getItems());
                }
            }
        }).build();
        DaskKubernetesEnvironment env = env(server).minWorkers(2).maxWorkers(2).schedulerLogs(true).build();

        FlowRunResult r = env.execute(squares(10), run);

        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        assertThat(r.result("sum")).contains(285);
        assertThat(whileRunning.get()).as("pods with the run's label while the flow ran").hasSize(3)
                .allSatisfy(p -> assertThat(p.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, "flowport")
                        .containsEntry(Labels.FLOW_NAME, "squares")
                        .containsKey(KubernetesDaskPlatform.CLUSTER_LABEL));
        String scheduler = r.detail("dask.scheduler").orElseThrow().toString();
        assertThat(scheduler).matches("tls://127\\.\\d+\\.\\d+\\.\\d+:8786");
        assertThat(r.detail("dask.service").orElseThrow().toString()).endsWith("-scheduler." + NS + ".svc");
        assertThat(r.logs().location()).startsWith("Dask scheduler pod ");
        assertThat(r.logs().lines()).anySatisfy(l -> assertThat(l).contains("Scheduler at:"));
        assertThat(((CommandResult) r.result("square-7").orElseThrow()).stdout().trim()).isEqualTo("49");
        assertThat(leftovers(server.client(), run.id())).as("what the run left in the namespace").isEmpty();
        assertThat(kubelet.started()).hasSize(3);
    }

    @Test
    void queuedWorkScalesUpToMaxWorkerPodsAndIdlenessScalesDownEachCommandRunningOnceWithinTheReadmesRole()
            throws Exception {
        Path marks = Files.createTempDirectory("dask-k8s-marks");
        List<String> calls = RbacRules.newLog();
        KubernetesClient recorded = RbacRules.recording(server.url(), NS, calls);
        DaskKubernetesEnvironment env = env(server).platformProvider(KubernetesDaskPlatform.provider(recorded))
                .minWorkers(1).maxWorkers(3).adaptiveInterval(Duration.ofMillis(500)).logK8sErrors(true).build();
        Flow.Builder b = Flow.builder("burst");
        String[] names = new String[24];
        for (int i = 0; i < names.length; i++) {
            names[i] = "t" + i;
            // each command leaves one line per execution: a command run twice (stolen twice) would show
            b.task(names[i], new CommandTask(CommandSpec.of("sh", "-c", "echo run >> " + marks.resolve("t" + i)
                    + "; sleep 1.5; echo " + i)));
        }
        b.task("idle").after(names).run(ctx -> {
            Thread.sleep(12_000);
            return "rested";
        });
        Flow flow = b.task(new io.flowport.core.TaskSpec("last", List.of("idle"), 0, Duration.ZERO, null,
                new CommandTask(CommandSpec.of("sh", "-c", "echo last")))).build();
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env.execute(flow, run));

        List<Integer> counts = new CopyOnWriteArrayList<>();
        await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
            counts.add(workerPods(server.client()).size());
            return counts.get(counts.size() - 1) == 3;
        });
        await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
            counts.add(workerPods(server.client()).size());
            return counts.get(counts.size() - 1) == 1;
        });
        FlowRunResult r = f.get(120, TimeUnit.SECONDS);

        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        for (int i = 0; i < names.length; i++) {
            assertThat(((CommandResult) r.result(names[i]).orElseThrow()).stdout().trim()).isEqualTo(
                    Integer.toString(i));
            assertThat(Files.readAllLines(marks.resolve("t" + i))).as("executions of t%d", i).hasSize(1);
        }
        assertThat(counts).as("running worker pods seen").allMatch(c -> c <= 3);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) r.detail("dask.workers").orElseThrow();
        assertThat(events).anySatisfy(e -> assertThat(e.get("reason").toString()).contains("queued work"));
        assertThat(events).anySatisfy(e -> assertThat(e.get("reason").toString()).contains("retired"));
        assertThat(r.warnings()).as("no pod problems to report").isEmpty();
        assertThat(kubelet.started()).as("scheduler + 3 workers at most at once, more over time").hasSizeGreaterThan(3);
        assertThat(leftovers(server.client(), run.id())).isEmpty();
        assertThat(env.deleteFinished(Duration.ZERO, java.time.Clock.systemUTC())).isEmpty();

        // every call Flowport made is allowed by the README's Role, and the Role asks for nothing unused
        Map<String, java.util.TreeSet<String>> role = RbacRules.fromReadme(Path.of("README.md"));
        java.util.Set<String> allowed = new java.util.TreeSet<>();
        role.forEach((resource, verbs) -> verbs.forEach(v -> allowed.add(resource + " " + v)));
        java.util.Map<String, Long> used = new java.util.TreeMap<>(calls.stream().collect(
                java.util.stream.Collectors.groupingBy(c -> c, java.util.stream.Collectors.counting())));
        System.out.println("API calls of one adaptive run: " + calls.size() + " " + used);
        assertThat(allowed).containsAll(used.keySet());
        java.util.Set<String> unused = new java.util.TreeSet<>(allowed);
        unused.removeAll(used.keySet());
        assertThat(unused).as("rules no call of this run needed (the README says when they are)")
                .containsExactly("pods get", "pods/log get", "services get");
        recorded.close();
    }
}
