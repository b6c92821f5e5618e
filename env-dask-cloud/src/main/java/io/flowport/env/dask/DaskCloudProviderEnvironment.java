package io.flowport.env.dask;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.TaskSpec;
import io.flowport.core.LaunchException;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;
import io.flowport.core.RunLogs;
import io.flowport.core.State;
import io.flowport.core.StateType;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskPlatformProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Dask cluster per flow run (Prefect's {@code DaskCloudProviderEnvironment}): the cluster is created on a
 * platform ({@code providerClass}: {@code local} processes, {@code fargate}/{@code ecs} tasks, or a user's own
 * {@link DaskPlatformProvider}), sized by {@code onExecute} from the run's parameters, adaptive between
 * {@code adaptiveMinWorkers} and {@code adaptiveMaxWorkers} (or a fixed {@code nWorkers}), protected by TLS with a
 * CA made for the cluster and by private addresses, and always torn down: after success, failure, cancellation,
 * timeout, a failing callback, and at JVM shutdown. The flow's command tasks run on its workers through the
 * {@link DaskExecutor}; its Java tasks run in this JVM.
 *
 * <p>Cost guards: the scheduler closes itself after {@code idleTimeout} without a task — its driver (this JVM)
 * sends a heartbeat task while it lives, so this only happens when the driver is gone — and nothing of the
 * cluster outlives {@code maxClusterLifetime}.
 *
 * <p>Serialized as {@code {"type":"dask-cloud-provider", …}}; callbacks, certificates and credentials are never
 * serialized.
 */
@JsonDeserialize(builder = DaskCloudProviderEnvironment.Builder.class)
public final class DaskCloudProviderEnvironment extends AbstractEnvironment {

    private static final Logger LOG = LoggerFactory.getLogger(DaskCloudProviderEnvironment.class);

    /** Provider settings every platform understands. */
    static final Set<String> COMMON_SETTINGS = Set.of("nWorkers", "workerThreads", "workerMemoryLimit",
            "environment", "workerResources", "workStealing", "image", "schedulerCpu", "schedulerMemory", "workerCpu",
            "workerMemory");
    /** Executor settings ({@code executorKwargs}). */
    static final Set<String> EXECUTOR_SETTINGS = Set.of("concurrency", "resources", "priority", "pythonExecutable",
            "connectTimeout");
    /** The adaptive maximum when only the minimum is given. */
    public static final int DEFAULT_ADAPTIVE_MAX = 10;

    private static final ScheduledExecutorService LIFETIME = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flowport-dask-lifetime");
        t.setDaemon(true);
        return t;
    });

    private final String providerClass;
    private final Integer adaptiveMinWorkers;
    private final Integer adaptiveMaxWorkers;
    private final DaskSecurity security;
    private final Map<String, Object> executorKwargs;
    private final Map<String, Object> providerSettings;
    private final Duration idleTimeout;
    private final Duration maxClusterLifetime;
    private final Duration clusterStartTimeout;
    private final Duration adaptiveInterval;
    private final String driver;
    private final OnExecuteCallback onExecute;
    private final DaskPlatformProvider platformProvider;

    private DaskCloudProviderEnvironment(Builder b) {
        super(b);
        this.providerClass = b.providerClass == null ? "local" : b.providerClass;
        this.adaptiveMinWorkers = b.adaptiveMinWorkers;
        this.adaptiveMaxWorkers = b.adaptiveMaxWorkers;
        this.security = b.security == null ? DaskSecurity.DEFAULT : b.security;
        this.executorKwargs = Collections.unmodifiableMap(new LinkedHashMap<>(b.executorKwargs));
        this.providerSettings = Collections.unmodifiableMap(new LinkedHashMap<>(b.providerSettings));
        this.idleTimeout = b.idleTimeout == null ? Duration.ofMinutes(5) : b.idleTimeout;
        this.maxClusterLifetime = b.maxClusterLifetime == null ? Duration.ofHours(12) : b.maxClusterLifetime;
        this.clusterStartTimeout = b.clusterStartTimeout == null ? Duration.ofMinutes(10) : b.clusterStartTimeout;
        this.adaptiveInterval = b.adaptiveInterval == null ? Duration.ofSeconds(2) : b.adaptiveInterval;
        this.driver = b.driver;
        this.onExecute = b.onExecute;
        this.platformProvider = b.platformProvider;
        // settings that cannot work are refused at once, naming each problem
        List<String> problems = new ArrayList<>();
        checkStatic(problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(getClass().getSimpleName(), problems);
        }
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Which cluster platform: {@code local}, {@code fargate}, {@code ecs}, or a provider's class name. */
    @JsonProperty("providerClass")
    public String providerClass() {
        return providerClass;
    }

    /** The adaptive minimum (adaptive mode only when set). */
    @JsonProperty("adaptiveMinWorkers")
    public Integer adaptiveMinWorkers() {
        return adaptiveMinWorkers;
    }

    /** The adaptive maximum (default {@value #DEFAULT_ADAPTIVE_MAX}, or the minimum if larger). */
    @JsonProperty("adaptiveMaxWorkers")
    public Integer adaptiveMaxWorkers() {
        return adaptiveMaxWorkers;
    }

    /** TLS and public addresses. */
    @JsonProperty("security")
    public DaskSecurity security() {
        return security;
    }

    /** Settings of the Dask executor. */
    @JsonProperty("executorKwargs")
    public Map<String, Object> executorKwargs() {
        return executorKwargs;
    }

    /** The platform's settings (the reference's keyword arguments). */
    @JsonProperty("providerSettings")
    public Map<String, Object> providerSettings() {
        return providerSettings;
    }

    /** The scheduler closes after this long without a task (so, once its driver is gone). */
    @JsonProperty("idleTimeout")
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Nothing of a cluster lives longer than this. */
    @JsonProperty("maxClusterLifetime")
    public Duration maxClusterLifetime() {
        return maxClusterLifetime;
    }

    /** The scheduler and the first workers must be ready within this. */
    @JsonProperty("clusterStartTimeout")
    public Duration clusterStartTimeout() {
        return clusterStartTimeout;
    }

    /** How often the cluster's size is compared with the scheduler's adaptive target. */
    @JsonProperty("adaptiveInterval")
    public Duration adaptiveInterval() {
        return adaptiveInterval;
    }

    /** The platform provider: the one given to the builder, else the one {@code providerClass} names. */
    private DaskPlatformProvider provider() {
        return platformProvider != null ? Platforms.check(platformProvider, providerClass)
                : Platforms.find(providerClass);
    }

    /**
     * Where the driver runs — the process that holds the Dask client and runs the flow's Java tasks: {@code local}
     * (this JVM; it must reach the cluster's private addresses, e.g. an application running in the same VPC) or
     * {@code in-cluster} (a task of the platform, in the cluster's network, launched and followed from here).
     * Default: {@code in-cluster} where the platform offers it (fargate, ecs), else {@code local}.
     */
    @JsonProperty("driver")
    public String driver() {
        return driver;
    }

    private boolean driverInCluster(DaskPlatformProvider provider, Map<String, Object> settings) {
        if (driver != null) {
            return driver.equals("in-cluster");
        }
        return provider.driverEnvironment(providerClass, settings, security).isPresent();
    }

    // ------------------------------------------------------------------------------------------ validation

    private void checkStatic(List<String> problems) {
        if (adaptiveMinWorkers != null && adaptiveMinWorkers < 0) {
            problems.add("adaptiveMinWorkers must be >= 0, was " + adaptiveMinWorkers);
        }
        if (adaptiveMaxWorkers != null && adaptiveMaxWorkers < 1) {
            problems.add("adaptiveMaxWorkers must be >= 1, was " + adaptiveMaxWorkers);
        }
        if (adaptiveMaxWorkers != null && adaptiveMinWorkers == null) {
            problems.add("adaptiveMaxWorkers is set without adaptiveMinWorkers: adaptive mode needs the minimum"
                    + " (or use providerSettings.nWorkers for a fixed size)");
        }
        if (adaptiveMinWorkers != null && adaptiveMaxWorkers != null && adaptiveMinWorkers > adaptiveMaxWorkers) {
            problems.add("adaptiveMinWorkers (" + adaptiveMinWorkers + ") must be <= adaptiveMaxWorkers ("
                    + adaptiveMaxWorkers + ")");
        }
        positive("idleTimeout", idleTimeout, problems);
        positive("maxClusterLifetime", maxClusterLifetime, problems);
        positive("clusterStartTimeout", clusterStartTimeout, problems);
        positive("adaptiveInterval", adaptiveInterval, problems);
        for (String k : executorKwargs.keySet()) {
            if (!EXECUTOR_SETTINGS.contains(k)) {
                problems.add("executorKwargs." + k + " is not a setting of the Dask executor" + didYouMean(k,
                        EXECUTOR_SETTINGS) + "; known: " + new java.util.TreeSet<>(EXECUTOR_SETTINGS));
            }
        }
        if (driver != null && !driver.equals("local") && !driver.equals("in-cluster")) {
            problems.add("driver must be 'local' (this JVM reaches the cluster) or 'in-cluster' (the driver runs as a"
                    + " task in the cluster's network), was '" + driver + "'");
        }
        if (providerClass.isBlank()) {
            problems.add("providerClass must not be blank: local, fargate, ecs, or your provider's class name");
        }
    }

    private static void positive(String field, Duration d, List<String> problems) {
        if (d.isZero() || d.isNegative()) {
            problems.add(field + " must be a positive duration, was " + d);
        }
    }

    @Override
    protected List<String> validate(Flow flow) {
        List<String> problems = new ArrayList<>();
        try {
            DaskPlatformProvider provider = provider();
            problems.addAll(settingsProblems(provider, providerSettings, "providerSettings"));
        } catch (ConfigurationException e) {
            problems.add(e.getMessage());
        }
        try {
            executor("flowport-validation", "tls://127.0.0.1:1", null);
        } catch (ConfigurationException e) {
            problems.addAll(e.problems().stream().map(p -> "executorKwargs: " + p).toList());
        }
        return problems;
    }

    /** Problems with provider settings, for the common keys and the platform's own. */
    private List<String> settingsProblems(DaskPlatformProvider provider, Map<String, Object> settings, String where) {
        List<String> problems = new ArrayList<>();
        Set<String> known = new LinkedHashSet<>(COMMON_SETTINGS);
        known.addAll(provider.knownSettings());
        for (String k : settings.keySet()) {
            if (!known.contains(k)) {
                problems.add(where + "." + k + " is not a setting of providerClass '" + providerClass + "'"
                        + didYouMean(k, known) + "; known: " + new java.util.TreeSet<>(known));
            }
        }
        Integer n = integer(settings, "nWorkers", where, problems);
        if (n != null && n < 0) {
            problems.add(where + ".nWorkers must be >= 0, was " + n);
        }
        if (n != null && adaptiveMinWorkers != null) {
            problems.add(where + ".nWorkers is set together with adaptiveMinWorkers: choose a fixed size (nWorkers) or"
                    + " adaptive mode (adaptiveMinWorkers/adaptiveMaxWorkers)");
        }
        if (n != null && n == 0 && adaptiveMinWorkers == null) {
            problems.add(where + ".nWorkers is 0: a fixed-size cluster needs at least one worker");
        }
        Integer threads = integer(settings, "workerThreads", where, problems);
        if (threads != null && threads < 1) {
            problems.add(where + ".workerThreads must be >= 1, was " + threads);
        }
        Object mem = settings.get("workerMemoryLimit");
        if (mem != null && !(mem instanceof Number) && !(mem instanceof String s
                && s.matches("(?i)auto|\\d+(\\.\\d+)?\\s*(b|kb|kib|mb|mib|gb|gib|tb|tib)?|0?\\.\\d+"))) {
            problems.add(where + ".workerMemoryLimit '" + mem + "' is not a Dask memory limit; use e.g. 2GiB, 4GB,"
                    + " 0.5 (of the machine) or auto");
        }
        stringMap(settings, "environment", where, problems);
        Object res = settings.get("workerResources");
        if (res != null) {
            if (res instanceof Map<?, ?> m) {
                m.forEach((k, v) -> {
                    if (!(v instanceof Number num) || num.doubleValue() <= 0) {
                        problems.add(where + ".workerResources." + k + " must be a positive number, was " + v);
                    }
                });
            } else {
                problems.add(where + ".workerResources must be a map of resource name to amount, e.g. {GPU: 1}");
            }
        }
        Object ws = settings.get("workStealing");
        if (ws != null && !(ws instanceof Boolean)) {
            problems.add(where + ".workStealing must be true or false, was " + ws);
        }
        problems.addAll(provider.validate(settings).stream().map(p -> where + "." + p).toList());
        if (problems.isEmpty() && "in-cluster".equals(driver)
                && provider.driverEnvironment(providerClass, settings, security).isEmpty()) {
            problems.add("driver: 'in-cluster' is not available for providerClass '" + providerClass + "' (its"
                    + " processes are reachable from here): use driver 'local'");
        }
        if (problems.isEmpty() && !"local".equals(driver)
                && provider.driverEnvironment(providerClass, settings, security).isPresent()
                && !(settings.get("driverImage") instanceof String image && !image.isBlank())) {
            problems.add(where + ".driverImage is required to run the driver in the cluster's network (the default"
                    + " for providerClass '" + providerClass + "', whose clusters have private addresses only): an"
                    + " image with your flows, Flowport and a Python that has Dask's distributed (e.g. built with"
                    + " ImageStorage); or set driver: local when this JVM runs in the cluster's VPC");
        }
        return problems;
    }

    private static Integer integer(Map<String, Object> settings, String key, String where, List<String> problems) {
        Object v = settings.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            return ((Number) v).intValue();
        }
        if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
            return num.intValue();
        }
        problems.add(where + "." + key + " must be a whole number, was " + describe(v));
        return null;
    }

    private static void stringMap(Map<String, Object> settings, String key, String where, List<String> problems) {
        Object v = settings.get(key);
        if (v == null) {
            return;
        }
        if (!(v instanceof Map<?, ?> m)) {
            problems.add(where + "." + key + " must be a map of variable names to values");
            return;
        }
        m.forEach((k, val) -> {
            if (!(k instanceof String name) || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                problems.add(where + "." + key + ": '" + k + "' is not a valid variable name");
            }
            if (!(val instanceof String) && !(val instanceof Number) && !(val instanceof Boolean)) {
                problems.add(where + "." + key + "." + k + " must be a string, was " + describe(val));
            }
        });
    }

    private static String describe(Object v) {
        return v instanceof String s ? "'" + s + "' (text)" : v + " (" + (v == null ? "null"
                : v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)) + ")";
    }

    /** " (did you mean 'x'?)" for a close known name, else "". */
    static String didYouMean(String given, Set<String> known) {
        List<String> close = io.flowport.core.spi.Names.closest(given, known);
        return close.isEmpty() ? "" : " (did you mean '" + close.get(0) + "'?)";
    }

    // ------------------------------------------------------------------------------------------ running

    /**
     * Calls {@code onExecute}, validates what it changed, creates the cluster, runs the flow on it and tears it
     * down. Called by {@link #execute} after validation and {@code onStart}.
     */
    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        Instant start = Instant.now();
        Map<String, Object> settings = new LinkedHashMap<>(providerSettings);
        if (onExecute != null) {
            try {
                onExecute.onExecute(Collections.unmodifiableMap(flow.resolveParameters(run.parameters())), settings);
            } catch (Exception e) {
                LOG.info("flow run {}: onExecute failed, no cluster was created: {}", run.id(), e.toString());
                return FlowRunResult.of(run.id(), flow.name(), State.failed("onExecute callback failed: " + e, e),
                        start);
            }
            List<String> problems = settingsProblems(provider(), settings,
                    "providerSettings (after onExecute)");
            if (!problems.isEmpty()) {
                ConfigurationException e = new ConfigurationException(getClass().getSimpleName(), problems);
                LOG.info("flow run {}: onExecute left invalid settings, no cluster was created", run.id());
                return FlowRunResult.of(run.id(), flow.name(), State.failed(e.getMessage(), e), start);
            }
        }
        DaskPlatformProvider provider = provider();
        if (driverInCluster(provider, settings)) {
            return runDriverInCluster(flow, run, settings, provider);
        }
        return runOnCluster(flow, run, settings);
    }

    /**
     * Launches the driver as a task in the cluster's network (the runner entry point, running this environment
     * with {@code driver: local} and the settings {@code onExecute} chose) and follows it; that driver creates the
     * cluster, runs the flow on it and tears it down. Cancelling the run stops the driver, whose shutdown tears the
     * cluster down.
     */
    private FlowRunResult runDriverInCluster(Flow flow, FlowRun run, Map<String, Object> settings,
                                             DaskPlatformProvider provider) {
        DaskCloudProviderEnvironment inside = insideDriver(settings);
        try (io.flowport.core.spi.BackendEnvironment driverEnv =
                     provider.driverEnvironment(providerClass, settings, security).orElseThrow()) {
            LOG.info("flow run {}: its Dask driver runs in the cluster's network ({})", run.id(), providerClass);
            java.util.concurrent.CompletableFuture<FlowRunResult> f = driverEnv.submitRunner(flow, run, inside);
            try {
                return f.get().withDetail("dask.driver", "in-cluster");
            } catch (InterruptedException e) {
                run.cancellation().cancel("the thread waiting for the run was interrupted");
                Thread.currentThread().interrupt();
                return f.join().withDetail("dask.driver", "in-cluster");
            } catch (java.util.concurrent.ExecutionException e) {
                throw new LaunchException("the Dask driver of flow run " + run.id() + " failed: " + e.getCause(),
                        e.getCause());
            }
        }
    }

    /** This environment as the driver in the cluster runs it: the same settings, the driver local, no callbacks. */
    private DaskCloudProviderEnvironment insideDriver(Map<String, Object> settings) {
        Builder b = builder().providerClass(providerClass).adaptiveMinWorkers(adaptiveMinWorkers)
                .adaptiveMaxWorkers(adaptiveMaxWorkers).security(security).executorKwargs(executorKwargs)
                .providerSettings(settings).idleTimeout(idleTimeout).maxClusterLifetime(maxClusterLifetime)
                .clusterStartTimeout(clusterStartTimeout).adaptiveInterval(adaptiveInterval).driver("local")
                .labels(labels()).metadata(metadata());
        return b.build();
    }

    /**
     * Runs the flow here on a new cluster, without callbacks (what the runner entry point calls). Blocking.
     */
    @Override
    public FlowRunResult run(Flow flow, FlowRun run) {
        checkValid(flow);
        return runOnCluster(flow, run, providerSettings);
    }

    private FlowRunResult runOnCluster(Flow flow, FlowRun run, Map<String, Object> settings) {
        FlowRunListener listener = run.listener();
        safely(run, () -> listener.runStarted(flow, run));
        // the executor announces the tasks; the run's start and end are this environment's to announce
        FlowRun inner = run.toBuilder().listener(new FlowRunListener() {
            @Override
            public void taskStateChanged(FlowRun r, TaskSpec task, State state) {
                listener.taskStateChanged(r, task, state);
            }
        }).build();
        FlowRunResult result = runOnCluster(flow, run, inner, settings);
        safely(run, () -> listener.runFinished(result));
        return result;
    }

    private static void safely(FlowRun run, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("flow run {}: listener failed: {}", run.id(), e.toString());
        }
    }

    private FlowRunResult runOnCluster(Flow flow, FlowRun run, FlowRun inner, Map<String, Object> settings) {
        Instant start = Instant.now();
        ClusterPlan plan = plan(run, settings);
        if (!security.tls()) {
            LOG.warn("SECURITY: Dask cluster {} runs WITHOUT TLS (security.tls=false): anyone who can reach its"
                    + " scheduler can run code on it and read its data", plan.clusterId());
        }
        DaskPlatformProvider provider = provider();
        DaskPlatform platform = provider.create(providerClass, settings, security);
        if (security.publicIp() || platform.publicAddresses()) {
            LOG.warn("SECURITY: Dask cluster {} gets PUBLIC addresses (security.publicIp=true)", plan.clusterId());
        }
        AtomicBoolean lifetimeOver = new AtomicBoolean();
        ScheduledFuture<?> lifetime = LIFETIME.schedule(() -> {
            lifetimeOver.set(true);
            run.cancellation().cancel("the Dask cluster reached its maximum lifetime of " + maxClusterLifetime);
        }, maxClusterLifetime.toNanos(), TimeUnit.NANOSECONDS);
        DaskCluster cluster;
        try {
            cluster = DaskCluster.start(platform, plan, run.cancellation());
        } catch (LaunchException e) {
            lifetime.cancel(false);
            State s = run.cancellation().isCancelled() ? State.cancelled(run.cancellation().reason())
                    : State.crashed("the Dask cluster did not start on " + platform.name() + ": " + e.getMessage(), e);
            return FlowRunResult.of(run.id(), flow.name(), s, start).withDetail("dask.cluster", plan.clusterId());
        }
        List<PhaseChange> phases = new ArrayList<>();
        phase(run, phases, RunPhase.LAUNCHED, "Dask cluster " + plan.clusterId() + " on " + platform.name()
                + ": scheduler " + cluster.address() + ", dashboard " + cluster.dashboard());
        phase(run, phases, RunPhase.RUNNING, plan.minWorkers() + " worker(s) joined");
        FlowRunResult result;
        try (cluster) {
            DaskExecutor executor = executor(plan.clusterId(), cluster.address(), cluster.tls());
            result = executor.execute(flow, inner);
            phase(run, phases, RunPhase.STOPPING, "tearing down Dask cluster " + plan.clusterId());
            if (!result.isSuccess()) {
                result = result.withLogs(RunLogs.of("Dask scheduler of cluster " + plan.clusterId(),
                        cluster.schedulerLog(50)));
            }
            result = result.withDetail("dask.cluster", plan.clusterId())
                    .withDetail("dask.scheduler", cluster.address())
                    .withDetail("dask.dashboard", cluster.dashboard().toString())
                    .withDetail("dask.workers", cluster.events());
        } finally {
            lifetime.cancel(false);
        }
        phase(run, phases, RunPhase.FINISHED, "Dask cluster " + plan.clusterId() + " torn down");
        result = result.withPhases(phases);
        if (lifetimeOver.get() && result.state().type() == StateType.CANCELLED) {
            result = result.withState(State.timedOut(result.state().message()));
        }
        return result;
    }

    private static void phase(FlowRun run, List<PhaseChange> phases, RunPhase phase, String detail) {
        PhaseChange c = new PhaseChange(phase, Instant.now(), detail);
        phases.add(c);
        safely(run, () -> run.listener().runPhaseChanged(run, c));
    }

    /** The cluster plan from validated settings. */
    private ClusterPlan plan(FlowRun run, Map<String, Object> s) {
        boolean adaptive = adaptiveMinWorkers != null;
        int min = adaptive ? adaptiveMinWorkers : s.get("nWorkers") == null ? 1 : ((Number) s.get("nWorkers")).intValue();
        int max = adaptive ? (adaptiveMaxWorkers != null ? adaptiveMaxWorkers : Math.max(min, DEFAULT_ADAPTIVE_MAX))
                : min;
        Map<String, String> env = new LinkedHashMap<>();
        if (s.get("environment") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(k.toString(), String.valueOf(v)));
        }
        Map<String, Double> resources = new LinkedHashMap<>();
        if (s.get("workerResources") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> resources.put(k.toString(), ((Number) v).doubleValue()));
        }
        Object mem = s.get("workerMemoryLimit");
        String clusterId = "fp" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        return new ClusterPlan(clusterId, run.id(), s, security.tls(), min, max, adaptive,
                s.get("workerThreads") == null ? 1 : ((Number) s.get("workerThreads")).intValue(),
                mem == null ? "auto" : mem.toString(), env, resources,
                !(s.get("workStealing") instanceof Boolean b) || b, idleTimeout, maxClusterLifetime,
                clusterStartTimeout, adaptiveInterval,
                // workers outlive a scheduler that closed (idle: its driver is gone) by as long, at most a minute
                idleTimeout.compareTo(Duration.ofSeconds(60)) < 0 ? idleTimeout : Duration.ofSeconds(60));
    }

    /** The executor for a cluster, from {@code executorKwargs}. */
    private DaskExecutor executor(String clusterId, String address, DaskTls tls) {
        DaskExecutor.Builder b = DaskExecutor.builder().address(address).tls(tls)
                .heartbeat(Duration.ofSeconds(Math.max(1, Math.min(60, idleTimeout.toSeconds() / 3))));
        List<String> problems = new ArrayList<>();
        executorKwargs.forEach((k, v) -> {
            try {
                switch (k) {
                    case "concurrency" -> b.concurrency(((Number) v).intValue());
                    case "priority" -> b.priority(((Number) v).intValue());
                    case "pythonExecutable" -> b.pythonExecutable((String) v);
                    case "connectTimeout" -> b.connectTimeout(v instanceof Number n ? Duration.ofSeconds(n.longValue())
                            : Duration.parse(v.toString()));
                    case "resources" -> {
                        Map<String, Double> r = new LinkedHashMap<>();
                        ((Map<?, ?>) v).forEach((rk, rv) -> r.put(rk.toString(), ((Number) rv).doubleValue()));
                        b.resources(r);
                    }
                    default -> { } // unknown keys are reported by checkStatic
                }
            } catch (ClassCastException | NullPointerException | DateTimeParseException e) {
                problems.add(k + " has the wrong type: " + describe(v) + " (concurrency, priority: whole numbers;"
                        + " pythonExecutable: text; connectTimeout: seconds or ISO-8601 like PT30S; resources: map"
                        + " of name to amount)");
            }
        });
        if (!executorKwargs.containsKey("pythonExecutable") && providerSettings.get("pythonExecutable") instanceof String py) {
            b.pythonExecutable(py);
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("DaskExecutor of cluster " + clusterId, problems);
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "DaskCloudProviderEnvironment[" + providerClass + (adaptiveMinWorkers != null ? ", adaptive "
                + adaptiveMinWorkers + ".." + adaptiveMaxWorkers : "") + ", tls=" + security.tls() + "]";
    }

    /** Builds a {@link DaskCloudProviderEnvironment}. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private String providerClass;
        private Integer adaptiveMinWorkers;
        private Integer adaptiveMaxWorkers;
        private DaskSecurity security;
        private final Map<String, Object> executorKwargs = new LinkedHashMap<>();
        private final Map<String, Object> providerSettings = new LinkedHashMap<>();
        private Duration idleTimeout;
        private Duration maxClusterLifetime;
        private Duration clusterStartTimeout;
        private Duration adaptiveInterval;
        private String driver;
        private OnExecuteCallback onExecute;
        private DaskPlatformProvider platformProvider;

        private Builder() {
        }

        /** The cluster platform: {@code local} (default), {@code fargate}, {@code ecs}, or a provider class name. */
        @JsonProperty("providerClass")
        public Builder providerClass(String value) {
            this.providerClass = value;
            return this;
        }

        /** Adaptive mode with this minimum. */
        @JsonProperty("adaptiveMinWorkers")
        public Builder adaptiveMinWorkers(Integer value) {
            this.adaptiveMinWorkers = value;
            return this;
        }

        /** The adaptive maximum. */
        @JsonProperty("adaptiveMaxWorkers")
        public Builder adaptiveMaxWorkers(Integer value) {
            this.adaptiveMaxWorkers = value;
            return this;
        }

        /** TLS and public addresses (default: TLS on, private only). */
        @JsonProperty("security")
        public Builder security(DaskSecurity value) {
            this.security = value;
            return this;
        }

        /** Settings of the Dask executor: concurrency, resources, priority, pythonExecutable, connectTimeout. */
        @JsonProperty("executorKwargs")
        public Builder executorKwargs(Map<String, ?> values) {
            if (values != null) {
                executorKwargs.putAll(values);
            }
            return this;
        }

        /** Platform settings (image, nWorkers, workerThreads, … and each platform's own). */
        @JsonProperty("providerSettings")
        public Builder providerSettings(Map<String, ?> values) {
            if (values != null) {
                providerSettings.putAll(values);
            }
            return this;
        }

        /** One platform setting. */
        public Builder providerSetting(String key, Object value) {
            providerSettings.put(Objects.requireNonNull(key, "key"), value);
            return this;
        }

        /** The scheduler closes after this long without a task (default 5 minutes). */
        @JsonProperty("idleTimeout")
        public Builder idleTimeout(Duration value) {
            this.idleTimeout = value;
            return this;
        }

        /** Nothing of a cluster lives longer than this (default 12 hours). */
        @JsonProperty("maxClusterLifetime")
        public Builder maxClusterLifetime(Duration value) {
            this.maxClusterLifetime = value;
            return this;
        }

        /** The scheduler and first workers must be ready within this (default 10 minutes). */
        @JsonProperty("clusterStartTimeout")
        public Builder clusterStartTimeout(Duration value) {
            this.clusterStartTimeout = value;
            return this;
        }

        /** How often the cluster's size follows the scheduler's adaptive target (default 2 s). */
        @JsonProperty("adaptiveInterval")
        public Builder adaptiveInterval(Duration value) {
            this.adaptiveInterval = value;
            return this;
        }

        /**
         * Uses this provider instance for {@code providerClass} instead of the one {@link java.util.ServiceLoader}
         * finds (e.g. one that holds a client of your own). Never serialized: a copy read back from JSON finds its
         * provider by {@code providerClass} again.
         */
        public Builder platformProvider(DaskPlatformProvider provider) {
            this.platformProvider = provider;
            return this;
        }

        /** Where the driver runs: {@code local} or {@code in-cluster} (default: in-cluster where offered). */
        @JsonProperty("driver")
        public Builder driver(String value) {
            this.driver = value;
            return this;
        }

        /** Sizes each run's cluster from its parameters. Never serialized. */
        public Builder onExecute(OnExecuteCallback callback) {
            this.onExecute = callback;
            return this;
        }

        /**
         * The environment.
         *
         * @throws ConfigurationException listing every setting that cannot work
         */
        public DaskCloudProviderEnvironment build() {
            return new DaskCloudProviderEnvironment(this);
        }
    }
}
