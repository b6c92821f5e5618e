package io.flowport.env.dask;

import io.flowport.core.CancellationToken;
import io.flowport.core.FlowportException;
import io.flowport.core.LaunchException;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskProcess;
import io.flowport.env.dask.spi.ProcessSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Dask cluster for one flow run, on a {@link DaskPlatform}: a temporary CA and certificates, a scheduler
 * started with an idle timeout, workers that join it, scaling between the minimum and maximum through the
 * scheduler's HTTP API (retire first, then stop exactly the retired workers), and a teardown that stops everything
 * — on {@link #close()}, and from a JVM shutdown hook. Thread-safe.
 */
final class DaskCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DaskCluster.class);
    private static final List<String> API_ROUTES = List.of("distributed.http.scheduler.prometheus",
            "distributed.http.scheduler.info", "distributed.http.scheduler.json", "distributed.http.health",
            "distributed.http.proxy", "distributed.http.statics", "distributed.http.scheduler.api");
    /** Consecutive checks that must ask for fewer workers before any is retired. */
    private static final int DOWN_VOTES = 3;
    /** The first and the longest pause between two looks at a starting cluster (health, joined workers). */
    private static final long FIRST_LOOK_MILLIS = 20;
    private static final long LAST_LOOK_MILLIS = 250;

    private final DaskPlatform platform;
    private final ClusterPlan plan;
    private final DaskTls tls;
    private final List<Worker> workers = new CopyOnWriteArrayList<>();
    private final List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger workerSeq = new AtomicInteger();
    private final ScheduledExecutorService timer;
    private final Thread shutdownHook;
    private volatile DaskProcess scheduler;
    private volatile String address;
    private volatile SchedulerApi api;
    private volatile boolean closed;
    private int downVotes;
    private boolean apiFailing;

    private DaskCluster(DaskPlatform platform, ClusterPlan plan) {
        this.platform = platform;
        this.plan = plan;
        this.tls = plan.tls() ? DaskTls.generate(plan.clusterId(), plan.maxLifetime()) : null;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flowport-dask-" + plan.clusterId());
            t.setDaemon(true);
            return t;
        });
        this.shutdownHook = new Thread(() -> {
            LOG.warn("JVM shutting down: tearing down Dask cluster {}", plan.clusterId());
            teardown();
        }, "flowport-dask-teardown-" + plan.clusterId());
    }

    /**
     * Starts the cluster and waits until the scheduler answers and the first workers have joined, within the
     * plan's start timeout. On any failure (or cancellation) everything started is stopped before this throws.
     *
     * @throws LaunchException if the cluster does not become ready
     */
    static DaskCluster start(DaskPlatform platform, ClusterPlan plan, CancellationToken cancellation) {
        DaskCluster c = new DaskCluster(platform, plan);
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            String reason = plan.adaptive() ? "adaptive minimum" : "nWorkers";
            long deadline = System.nanoTime() + plan.startTimeout().toNanos();
            c.launchScheduler();
            // where workers can find the scheduler by themselves, they start alongside it rather than after it
            platform.schedulerLocator(plan.clusterId()).ifPresent(l -> c.scaleTo(plan.minWorkers(), reason, l));
            c.awaitScheduler(deadline, cancellation);
            c.scaleTo(plan.minWorkers(), reason);
            c.awaitWorkers(plan.minWorkers(), cancellation);
            c.timer.scheduleWithFixedDelay(c::adapt, plan.adaptInterval().toMillis(),
                    plan.adaptInterval().toMillis(), TimeUnit.MILLISECONDS);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e instanceof LaunchException l ? l : new LaunchException("Dask cluster " + plan.clusterId()
                    + " on " + platform.name() + " did not start: " + e.getMessage(), e);
        }
    }

    private void launchScheduler() {
        List<String> args = new ArrayList<>(List.of("--protocol", tls == null ? "tcp" : "tls",
                "--idle-timeout", plan.idleTimeout().toSeconds() + "s"));
        Map<String, String> env = commonEnvironment(DaskTls.Role.SCHEDULER);
        env.put("DASK_DISTRIBUTED__SCHEDULER__HTTP__ROUTES", "[" + String.join(",",
                API_ROUTES.stream().map(r -> "\"" + r + "\"").toList()) + "]");
        env.put("DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING", plan.workStealing() ? "True" : "False");
        // a worker lost in the middle of a task fails that attempt; the task's own retries decide what follows
        env.put("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0");
        env.put("FLOWPORT_DASK_MAX_LIFETIME", Long.toString(plan.maxLifetime().toSeconds()));
        // the driver gone (its client disconnected) for as long as the idle timeout: the scheduler closes
        env.put("FLOWPORT_DASK_ORPHAN_GRACE", Long.toString(plan.idleTimeout().toSeconds()));
        scheduler = platform.launch(spec(ProcessSpec.Role.SCHEDULER, plan.clusterId() + "-scheduler", args, env));
    }

    private void awaitScheduler(long deadline, CancellationToken cancellation) {
        DaskProcess s = scheduler;
        DaskProcess.Endpoint ep = await(s.endpoint(), deadline, cancellation, "the scheduler's address");
        address = (tls == null ? "tcp://" : "tls://") + ep.host() + ":" + ep.port();
        api = new SchedulerApi(URI.create((tls == null ? "http://" : "https://") + ep.host() + ":"
                + ep.dashboardPort() + "/"), tls);
        long wait = FIRST_LOOK_MILLIS;
        while (!api.healthy()) {
            check(deadline, cancellation, "the scheduler to answer its health check at " + api.base());
            s.ended().ifPresent(why -> {
                throw new LaunchException("the Dask scheduler " + why + "; its log: "
                        + String.join(" | ", s.logTail(10)));
            });
            wait = pause(wait);
        }
        event(running(), "scheduler ready at " + address);
        LOG.info("Dask cluster {} on {}: scheduler at {} (dashboard {})", plan.clusterId(), platform.name(), address,
                api.base());
    }

    private void awaitWorkers(int wanted, CancellationToken cancellation) {
        long deadline = System.nanoTime() + plan.startTimeout().toNanos();
        long wait = FIRST_LOOK_MILLIS;
        while (true) {
            Map<String, String> joined = api.workers();
            if (joined.size() >= wanted) {
                LOG.info("Dask cluster {}: {} worker(s) joined", plan.clusterId(), joined.size());
                return;
            }
            List<String> dead = new ArrayList<>();
            for (Worker w : workers) {
                w.process.ended().ifPresent(why -> dead.add(w.process.name() + " " + why + ": "
                        + String.join(" | ", w.process.logTail(5))));
            }
            if (!dead.isEmpty() && dead.size() >= workers.size()) {
                throw new LaunchException("every Dask worker ended before joining: " + String.join("; ", dead));
            }
            check(deadline, cancellation, wanted + " worker(s) to join (" + joined.size() + " joined)");
            wait = pause(wait);
        }
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f, long deadline,
                               CancellationToken cancellation, String what) {
        while (true) {
            try {
                return f.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                check(deadline, cancellation, what);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FlowportException("interrupted while waiting for " + what, e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r
                        : new LaunchException("waiting for " + what + " failed: " + e.getCause(), e.getCause());
            }
        }
    }

    private static void check(long deadline, CancellationToken cancellation, String what) {
        if (cancellation.isCancelled()) {
            throw new LaunchException("cancelled while waiting for " + what + ": " + cancellation.reason());
        }
        if (System.nanoTime() - deadline > 0) {
            throw new LaunchException("timed out waiting for " + what);
        }
    }

    /** Sleeps {@code millis}; returns the next, longer pause (a local cluster is ready in a second, ECS in a minute). */
    private static long pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlowportException("interrupted", e);
        }
        return Math.min(millis * 3 / 2, LAST_LOOK_MILLIS);
    }

    private Map<String, String> commonEnvironment(DaskTls.Role role) {
        Map<String, String> env = new LinkedHashMap<>(plan.environment());
        if (tls != null) {
            env.putAll(tls.variables(role));
        }
        return env;
    }

    private ProcessSpec spec(ProcessSpec.Role role, String name, List<String> args, Map<String, String> env) {
        return new ProcessSpec(plan.clusterId(), plan.flowRunId(), role, name, args, env, plan.settings());
    }

    /** Starts workers until {@code n} are running or starting. */
    private void scaleTo(int n, String reason) {
        scaleTo(n, reason, List.of(address));
    }

    /**
     * Starts workers until {@code n} are running or starting.
     *
     * @param scheduler how a worker finds the scheduler: its address, or the platform's locator arguments
     */
    private synchronized void scaleTo(int n, String reason, List<String> scheduler) {
        int running = running();
        if (n <= running) {
            return;
        }
        for (int i = running; i < n; i++) {
            String name = plan.clusterId() + "-worker-" + workerSeq.incrementAndGet();
            List<String> args = new ArrayList<>(scheduler);
            args.addAll(List.of("--no-nanny", "--name", name,
                    "--nthreads", Integer.toString(plan.workerThreads()),
                    "--memory-limit", plan.workerMemoryLimit(),
                    "--death-timeout", Long.toString(plan.deathTimeout().toSeconds()),
                    "--lifetime", plan.maxLifetime().toSeconds() + "s",
                    "--no-dashboard"));
            if (!plan.workerResources().isEmpty()) {
                StringBuilder r = new StringBuilder();
                plan.workerResources().forEach((k, v) -> r.append(r.length() == 0 ? "" : " ").append(k).append('=')
                        .append(v % 1 == 0 ? Long.toString(v.longValue()) : v.toString()));
                args.addAll(List.of("--resources", r.toString()));
            }
            workers.add(new Worker(platform.launch(spec(ProcessSpec.Role.WORKER, name, args,
                    commonEnvironment(DaskTls.Role.WORKER)))));
        }
        event(n, reason);
        LOG.info("Dask cluster {}: {} worker(s) ({})", plan.clusterId(), n, reason);
    }

    private int running() {
        int n = 0;
        for (Worker w : workers) {
            if (!w.stopping && w.process.ended().isEmpty()) {
                n++;
            }
        }
        return n;
    }

    /** One step of the scaling loop: follow the scheduler's adaptive target within the bounds. */
    synchronized void adapt() {
        if (closed) {
            return;
        }
        try {
            for (Worker w : workers) {
                if (!w.stopping && w.process.ended().isPresent()) {
                    w.stopping = true;
                    LOG.warn("Dask cluster {}: worker {} {}", plan.clusterId(), w.process.name(),
                            w.process.ended().get());
                    event(running(), "worker " + w.process.name() + " " + w.process.ended().get());
                }
            }
            int running = running();
            int wanted = plan.adaptive() ? Math.max(plan.minWorkers(), Math.min(plan.maxWorkers(),
                    api.adaptiveTarget())) : plan.minWorkers();
            if (apiFailing) {
                apiFailing = false;
                LOG.info("Dask cluster {}: the scheduler's API answers again", plan.clusterId());
            }
            if (wanted > running) {
                downVotes = 0;
                scaleTo(wanted, plan.adaptive() ? "adaptive target " + wanted + " (queued work)"
                        : "replacing lost workers");
            } else if (wanted < running) {
                Map<String, String> joined = api.workers();
                if (++downVotes >= DOWN_VOTES && joined.size() >= running) {
                    downVotes = 0;
                    List<String> retired = api.retire(running - wanted);
                    for (String name : retired) {
                        for (Worker w : workers) {
                            if (w.process.name().equals(name)) {
                                w.stopping = true;
                                w.process.stop();
                            }
                        }
                    }
                    if (!retired.isEmpty()) {
                        event(running(), "adaptive target " + wanted + " (idle): retired " + retired);
                        LOG.info("Dask cluster {}: retired {} ({} worker(s) left)", plan.clusterId(), retired,
                                running());
                    }
                }
            } else {
                downVotes = 0;
            }
        } catch (RuntimeException e) {
            if (!apiFailing) {
                apiFailing = true;
                LOG.warn("Dask cluster {}: scaling check failed: {}", plan.clusterId(), e.getMessage());
            }
        }
    }

    private void event(int count, String reason) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("at", Instant.now().toString());
        e.put("workers", count);
        e.put("reason", reason);
        events.add(e);
    }

    /** The scheduler's address ({@code tls://host:port}). */
    String address() {
        return address;
    }

    /** The dashboard (and HTTP API) of the scheduler. */
    URI dashboard() {
        return api.base();
    }

    /** The client's TLS material, or null without TLS. */
    DaskTls tls() {
        return tls;
    }

    /** The worker count over time, with the reason of each change. */
    List<Map<String, Object>> events() {
        return List.copyOf(events);
    }

    /** The workers the scheduler knows now (name to address). */
    Map<String, String> joinedWorkers() {
        return api.workers();
    }

    /** The scheduler's last log lines. */
    List<String> schedulerLog(int lines) {
        DaskProcess s = scheduler;
        return s == null ? List.of() : s.logTail(lines);
    }

    /** Stops every process of the cluster (and leftovers found by its id). Blocking; idempotent. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs the teardown
        }
        teardown();
    }

    private void teardown() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        timer.shutdownNow();
        try {
            int stopped = platform.stopAll(plan.clusterId());
            LOG.info("Dask cluster {} on {} torn down ({} process(es) stopped)", plan.clusterId(), platform.name(),
                    stopped);
        } catch (RuntimeException e) {
            LOG.error("Dask cluster {} on {}: teardown failed, processes may be left: {}", plan.clusterId(),
                    platform.name(), e.toString());
            throw e;
        } finally {
            platform.close();
        }
    }

    /** A worker process and whether the cluster is stopping it. */
    private static final class Worker {
        final DaskProcess process;
        volatile boolean stopping;

        Worker(DaskProcess process) {
            this.process = process;
        }
    }
}
