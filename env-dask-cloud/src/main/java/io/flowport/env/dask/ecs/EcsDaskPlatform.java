package io.flowport.env.dask.ecs;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Labels;
import io.flowport.env.dask.DaskSecurity;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskProcess;
import io.flowport.env.dask.spi.DaskScripts;
import io.flowport.env.dask.spi.ProcessSpec;
import io.flowport.env.fargate.ContainerDefinition;
import io.flowport.env.fargate.FargateTaskEnvironment;
import io.flowport.env.fargate.LogConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Dask processes as ECS tasks, through env-fargate's {@link FargateTaskEnvironment} and so through the shared
 * backend lifecycle: task definitions registered once per distinct content (families
 * {@code flowport-dask-scheduler} and {@code flowport-dask-worker}), idempotent {@code RunTask} per process (its
 * name is the idempotency token, so a lost answer never starts a second worker), batched and paced
 * {@code DescribeTasks}, {@code StopTask} at teardown. Every task carries the Flowport labels, among them the
 * cluster (flow name {@code dask-<cluster id>}), so that leftovers of a driver that died are found and stopped.
 * Tasks use the {@code awsvpc} network mode; the scheduler's private IP is read from its network interface.
 *
 * <p>The container runs {@code <pythonExecutable> -c <Flowport's launcher> …} in the given Dask image: the
 * launcher writes the HTTPS dashboard's certificate files from the TLS variables and applies the maximum lifetime.
 */
final class EcsDaskPlatform implements DaskPlatform {

    private static final Logger LOG = LoggerFactory.getLogger(EcsDaskPlatform.class);

    /** The provider settings of this platform beyond the common ones. */
    static final Set<String> SETTINGS = Set.of("cluster", "subnets", "securityGroups", "executionRoleArn",
            "taskRoleArn", "regionName", "endpointOverride", "tags", "logGroup", "platformVersion",
            "cpuArchitecture", "pythonExecutable", "schedulerPort", "dashboardPort", "statusPollInterval",
            "driverImage", "driverCpu", "driverMemory", "driverCommand");
    static final String SCHEDULER_FAMILY = "flowport-dask-scheduler";
    static final String WORKER_FAMILY = "flowport-dask-worker";
    static final String DRIVER_FAMILY = "flowport-dask-driver";

    private final String name;
    private final FargateTaskEnvironment scheduler;
    private final FargateTaskEnvironment worker;
    private final String python;
    private final int schedulerPort;
    private final int dashboardPort;
    private final boolean publicIp;
    private final Map<String, List<EcsProcess>> processes = new ConcurrentHashMap<>();
    private final ExecutorService lookups = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "flowport-dask-ecs");
        t.setDaemon(true);
        return t;
    });

    EcsDaskPlatform(String name, Map<String, Object> settings, DaskSecurity security) {
        this.name = name;
        this.publicIp = security.publicIp();
        this.scheduler = environment(name, settings, security, ProcessSpec.Role.SCHEDULER);
        this.worker = environment(name, settings, security, ProcessSpec.Role.WORKER);
        this.python = string(settings, "pythonExecutable", "python");
        this.schedulerPort = number(settings, "schedulerPort", 8786);
        this.dashboardPort = number(settings, "dashboardPort", 8787);
    }

    /** Problems env-fargate finds with the task settings of either role (no remote call). */
    static List<String> problems(Map<String, Object> settings) {
        List<String> problems = new ArrayList<>();
        for (ProcessSpec.Role role : ProcessSpec.Role.values()) {
            try (FargateTaskEnvironment env = environment("fargate", settings, DaskSecurity.DEFAULT, role)) {
                for (String p : env.problems(Flow.command("dask-validation", CommandSpec.of("true")))) {
                    problems.add("(" + role.name().toLowerCase(java.util.Locale.ROOT) + " tasks) " + p);
                }
            } catch (io.flowport.core.ConfigurationException e) {
                e.problems().forEach(p -> problems.add("(" + role.name().toLowerCase(java.util.Locale.ROOT)
                        + " tasks) " + p));
            }
        }
        return problems;
    }

    private static FargateTaskEnvironment environment(String name, Map<String, Object> s, DaskSecurity security,
                                                      ProcessSpec.Role role) {
        boolean sched = role == ProcessSpec.Role.SCHEDULER;
        return common(name, s, security, string(s, "image", null), null)
                .family(sched ? SCHEDULER_FAMILY : WORKER_FAMILY)
                .cpu(string(s, sched ? "schedulerCpu" : "workerCpu", sched ? "1024" : "4096"))
                .memory(string(s, sched ? "schedulerMemory" : "workerMemory", sched ? "4096" : "16384"))
                .build();
    }

    /**
     * The environment that runs the driver in the cluster's network: the runner entry point in
     * {@code driverImage} (the flows' image, with Flowport, env-dask-cloud and a Python that has Dask's
     * distributed), with the same network, roles and tags as the cluster.
     */
    static FargateTaskEnvironment driver(String name, Map<String, Object> s, DaskSecurity security) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        if (s.get("environment") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(k.toString(), String.valueOf(v)));
        }
        FargateTaskEnvironment.Builder b = common(name, s, security, string(s, "driverImage", null), env)
                .family(DRIVER_FAMILY)
                .cpu(string(s, "driverCpu", "1024"))
                .memory(string(s, "driverMemory", "2048"));
        if (s.get("driverCommand") instanceof List<?> command) {
            b.runnerCommand(command.stream().map(Object::toString).toList());
        }
        return b.build();
    }

    private static FargateTaskEnvironment.Builder common(String name, Map<String, Object> s, DaskSecurity security,
                                                         String image, Map<String, String> containerEnvironment) {
        ContainerDefinition.Builder container = ContainerDefinition.builder().name("dask").image(image);
        if (containerEnvironment != null && !containerEnvironment.isEmpty()) {
            container.environment(containerEnvironment);
        }
        String logGroup = string(s, "logGroup", null);
        if (logGroup != null) {
            container.logConfiguration(LogConfiguration.awslogs(logGroup, string(s, "regionName", null), "dask"));
        }
        FargateTaskEnvironment.Builder b = FargateTaskEnvironment.builder()
                .launchType(name.equals("ecs") ? FargateTaskEnvironment.EC2 : FargateTaskEnvironment.FARGATE)
                .networkMode("awsvpc")
                .container(container.build())
                .assignPublicIp(security.publicIp() ? "ENABLED" : "DISABLED");
        Optional.ofNullable(string(s, "cluster", null)).ifPresent(b::cluster);
        Optional.ofNullable(string(s, "regionName", null)).ifPresent(b::regionName);
        Optional.ofNullable(string(s, "endpointOverride", null)).map(URI::create).ifPresent(b::endpointOverride);
        Optional.ofNullable(string(s, "executionRoleArn", null)).ifPresent(b::executionRoleArn);
        Optional.ofNullable(string(s, "taskRoleArn", null)).ifPresent(b::taskRoleArn);
        Optional.ofNullable(string(s, "platformVersion", null)).ifPresent(b::platformVersion);
        Optional.ofNullable(string(s, "cpuArchitecture", null)).ifPresent(b::cpuArchitecture);
        if (s.get("subnets") instanceof List<?> l) {
            b.subnets(l.stream().map(Object::toString).toList());
        }
        if (s.get("securityGroups") instanceof List<?> l) {
            b.securityGroups(l.stream().map(Object::toString).toList());
        }
        if (s.get("tags") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> b.tag(k.toString(), String.valueOf(v)));
        }
        if (s.get("statusPollInterval") != null) {
            Duration poll = Duration.parse(s.get("statusPollInterval").toString());
            b.lifecycleSettings(BackendLifecycle.Settings.defaults()
                    .withPollIntervals(poll, poll.compareTo(Duration.ofSeconds(30)) > 0 ? poll : Duration.ofSeconds(30)));
        }
        return b;
    }

    private static String string(Map<String, Object> s, String key, String fallback) {
        Object v = s.get(key);
        return v == null ? fallback : v.toString();
    }

    private static int number(Map<String, Object> s, String key, int fallback) {
        return s.get(key) instanceof Number n ? n.intValue() : fallback;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean publicAddresses() {
        return publicIp;
    }

    @Override
    public DaskProcess launch(ProcessSpec spec) {
        boolean sched = spec.role() == ProcessSpec.Role.SCHEDULER;
        List<String> command = new ArrayList<>(List.of(python, "-c", DaskScripts.compactSource(DaskScripts.LAUNCHER),
                spec.clusterId(), spec.module()));
        command.addAll(spec.args());
        if (sched) {
            command.addAll(List.of("--port", Integer.toString(schedulerPort),
                    "--dashboard-address", ":" + dashboardPort));
        }
        // the flow's name is the cluster's: every task of the cluster carries it as a label
        Flow flow = Flow.command("dask-" + spec.clusterId(), new CommandSpec(command, spec.environment(), null, null));
        EcsProcess p = new EcsProcess(spec.name(), sched ? scheduler : worker, sched);
        FlowRun run = FlowRun.builder().id(spec.name()).listener(p).build();
        p.start(flow, run);
        processes.computeIfAbsent(spec.clusterId(), k -> new CopyOnWriteArrayList<>()).add(p);
        return p;
    }

    @Override
    public int stopAll(String clusterId) {
        List<EcsProcess> mine = processes.remove(clusterId);
        int stopped = 0;
        if (mine != null) {
            for (EcsProcess p : mine) {
                if (p.ended().isEmpty()) {
                    stopped++;
                }
                p.stop();
            }
            for (EcsProcess p : mine) {
                p.awaitEnd(Duration.ofMinutes(3));
            }
        }
        // tasks of the cluster this object did not follow (a driver that died), found by the cluster's label
        Map<String, String> label = Map.of(Labels.FLOW_NAME, Labels.safeValue("dask-" + clusterId));
        try {
            stopped += scheduler.stopUnfinished(label, "Dask cluster " + clusterId + " torn down").size();
        } catch (RuntimeException e) {
            LOG.warn("{}: could not look for leftover tasks of Dask cluster {}: {}", name, clusterId, e.toString());
        }
        // definitions are reused by later clusters; revisions they superseded are not needed any more
        for (FargateTaskEnvironment env : List.of(scheduler, worker)) {
            try {
                env.deregisterOldRevisions(Flow.command("dask-" + clusterId, CommandSpec.of("true")), 1);
            } catch (RuntimeException e) {
                LOG.debug("{}: could not deregister old revisions: {}", name, e.toString());
            }
        }
        return stopped;
    }

    @Override
    public void close() {
        lookups.shutdownNow();
        scheduler.close();
        worker.close();
    }

    /** One scheduler or worker task, followed through its run's phases. */
    private final class EcsProcess implements DaskProcess, FlowRunListener {
        private final String name;
        private final FargateTaskEnvironment env;
        private final boolean scheduler;
        private final CompletableFuture<Endpoint> endpoint = new CompletableFuture<>();
        private volatile CompletableFuture<FlowRunResult> result;
        private volatile FlowRun run;
        private volatile String taskArn;

        EcsProcess(String name, FargateTaskEnvironment env, boolean scheduler) {
            this.name = name;
            this.env = env;
            this.scheduler = scheduler;
        }

        void start(Flow flow, FlowRun r) {
            run = r;
            result = env.submit(flow, r);
            result.whenComplete((res, e) -> endpoint.completeExceptionally(new LaunchException(name + " ended before"
                    + " it ran: " + (res != null ? res.state() : e))));
        }

        @Override
        public void runPhaseChanged(FlowRun r, PhaseChange change) {
            if (change.phase() == RunPhase.LAUNCHED) {
                taskArn = change.detail();
            } else if (change.phase() == RunPhase.RUNNING && !endpoint.isDone()) {
                // never block the lifecycle's thread: the address is one DescribeTasks away
                lookups.execute(this::lookUpAddress);
            }
        }

        private void lookUpAddress() {
            for (int attempt = 0; attempt < 30 && !endpoint.isDone(); attempt++) {
                try {
                    Optional<String> ip = env.privateAddress(taskArn);
                    if (ip.isPresent()) {
                        endpoint.complete(scheduler ? new Endpoint(ip.get(), schedulerPort, dashboardPort)
                                : new Endpoint(ip.get(), 0, 0));
                        return;
                    }
                } catch (RuntimeException e) {
                    LOG.debug("{}: no address for {} yet: {}", EcsDaskPlatform.this.name, taskArn, e.toString());
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            endpoint.completeExceptionally(new LaunchException("task " + taskArn + " of " + name + " runs but has no"
                    + " private IP address (the Dask platform needs the awsvpc network mode)"));
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<Endpoint> endpoint() {
            return endpoint;
        }

        @Override
        public Optional<String> ended() {
            CompletableFuture<FlowRunResult> f = result;
            if (f == null || !f.isDone()) {
                return Optional.empty();
            }
            return Optional.of(f.isCompletedExceptionally() ? "ended with an error" : "ended: " + f.join().state());
        }

        @Override
        public void stop() {
            FlowRun r = run;
            if (r != null) {
                r.cancellation().cancel("Dask cluster teardown");
            }
        }

        void awaitEnd(Duration timeout) {
            try {
                result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("{}: {} did not confirm its stop: {}", EcsDaskPlatform.this.name, name, e.toString());
            }
        }

        @Override
        public List<String> logTail(int lines) {
            CompletableFuture<FlowRunResult> f = result;
            if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
                return List.of();
            }
            try {
                return f.join().logs().tail(lines);
            } catch (RuntimeException e) {
                return List.of("(logs not readable: " + e.getMessage() + ")");
            }
        }
    }
}
