package io.flowport.agent;

import io.flowport.agent.internal.Environments;
import io.flowport.agent.internal.FlowReferences;
import io.flowport.agent.internal.Recorder;
import io.flowport.agent.internal.AgentJson;
import io.flowport.agent.internal.DetachedProcessEnvironment;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunLogs;
import io.flowport.core.CancellationToken;
import io.flowport.core.Storage;
import io.flowport.core.spi.BackendEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A long-running process that takes flow runs from a {@link RunQueue} and runs them (the agent of the
 * agent–environment model):
 * <ul>
 *   <li><b>claims</b> runs whose labels are all among its own, highest priority then oldest, never more than
 *       {@link Builder#maxConcurrent} in flight (the rest wait in the queue);</li>
 *   <li><b>deploys</b> each through its environment, customised by the agent's {@link JobSpecs}: a
 *       {@link BackendEnvironment} (ECS, Kubernetes, Cloud Run, ACI …) through its non-blocking
 *       {@link BackendEnvironment#submit submit}, so that all runs of equal environments share one environment object
 *       and one status poller (batched reads, one poller per platform, not per run); {@code local-process} runs as
 *       detached processes that outlive the agent ({@link Builder#localProcesses}); any other environment (in-process
 *       {@code local}, Dask clusters) through {@link Environment#execute} on a bounded pool;</li>
 *   <li><b>records</b> every state transition in the queue (batched), fenced by the claim count;</li>
 *   <li><b>holds leases</b>: heartbeats renew the leases of all its runs in one statement and pick up cancellation
 *       requests; a run whose agent stopped renewing is taken over by another agent (or this one after a restart),
 *       which first looks its infrastructure up by its flow-run-id label and reattaches
 *       ({@link BackendEnvironment#resume}: running → follow, finished → its final state, absent → launch with the
 *       original idempotency token, the run's id) — no run is lost, none launched twice. A run of an environment
 *       that cannot be looked up (in-process) that was already started when its agent died is not started again
 *       (at most once): it ends {@code Crashed}, saying so;</li>
 *   <li><b>deletes</b> finished infrastructure carrying Flowport's labels once older than {@link Builder#ttl}
 *       (the TTL controller; {@link BackendEnvironment#deleteFinished}), never anything else;</li>
 *   <li><b>shuts down gracefully</b> ({@link #shutdown}): stops claiming, then either leaves runs on remote
 *       infrastructure running with their leases released for the next agent, or — draining — waits for them.</li>
 * </ul>
 * Thread-safe. Threads: one claim loop, one timer (heartbeats), one cleaner (TTL), one recorder, a bounded pool for
 * in-process runs, plus the threads of each environment's lifecycle. No thread is held per remote run.
 */
public final class Agent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

    private final RunQueue queue;
    private final String id;
    private final Set<String> labels;
    private final int maxConcurrent;
    private final int claimBatch;
    private final Duration lease;
    private final Duration heartbeatInterval;
    private final Duration pollInterval;
    private final Duration ttl;
    private final Duration cleanupInterval;
    private final Duration environmentIdleTimeout;
    private final JobSpecs jobSpecs;
    private final AgentMetrics metrics;
    private final Clock clock;
    private final int inProcessThreads;
    private final Duration recordInterval;

    private final Environments environments;
    private final FlowReferences flows = new FlowReferences();
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final Map<String, Spec> specs = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final Object slots = new Object();
    private final AtomicInteger claimedTotal = new AtomicInteger();
    private volatile long queueDepth;
    private volatile boolean claiming;
    /** Set when shutting down without waiting: results of runs left running are not recorded (they are released). */
    private volatile boolean releasing;
    private volatile State state = State.NEW;

    private Recorder recorder;
    private ScheduledExecutorService timer;
    private ExecutorService cleaner;
    private ThreadPoolExecutor inProcess;
    private Thread claimThread;

    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    private Agent(Builder b) {
        this.queue = b.queue;
        this.id = b.id != null ? b.id : defaultId();
        this.labels = Collections.unmodifiableSet(new TreeSet<>(b.labels));
        this.maxConcurrent = b.maxConcurrent;
        this.claimBatch = b.claimBatch;
        this.lease = b.lease;
        this.heartbeatInterval = b.heartbeatInterval != null ? b.heartbeatInterval : b.lease.dividedBy(3);
        this.pollInterval = b.pollInterval;
        this.ttl = b.ttl;
        this.cleanupInterval = b.cleanupInterval;
        this.environmentIdleTimeout = b.environmentIdleTimeout;
        this.jobSpecs = b.jobSpecs;
        this.metrics = b.metrics;
        this.clock = b.clock;
        this.inProcessThreads = b.inProcessThreads;
        this.recordInterval = b.recordInterval;
        EnvironmentFactory factory = b.environmentFactory;
        if (b.processDirectory != null) {
            Path root = b.processDirectory;
            EnvironmentFactory user = factory;
            // local processes outlive the agent and are found again by label (else a crash would lose them)
            factory = spec -> {
                Environment checked = user.create(spec);
                return DetachedProcessEnvironment.TYPE.equals(spec.path("type").asText())
                        ? DetachedProcessEnvironment.of(checked, spec.toString(), root) : checked;
            };
        }
        this.environments = new Environments(factory);
    }

    /** Starts a builder for an agent on {@code queue}. */
    public static Builder builder(RunQueue queue) {
        return new Builder(queue);
    }

    private static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The agent's id: the holder of its runs in the queue. */
    public String id() {
        return id;
    }

    /** Its labels. */
    public Set<String> labels() {
        return labels;
    }

    /** How many runs it holds now. */
    public int inFlight() {
        return held.size();
    }

    /** How many runs it claimed since it started (takeovers included). */
    public int claimed() {
        return claimedTotal.get();
    }

    /** Whether it is claiming runs. */
    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /**
     * Registers with the queue (taking back at once the runs an earlier life of the same id held), then starts
     * claiming. Returns at once.
     *
     * @throws IllegalStateException if it was started before
     * @throws QueueException        if the queue cannot be reached
     */
    public synchronized Agent start() {
        if (state != State.NEW) {
            throw new IllegalStateException("agent " + id + " was started before");
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown";
        }
        int released = queue.registerAgent(id, labels, host);
        if (released > 0) {
            LOG.info("agent {}: {} run(s) held by its earlier life were released and will be taken over", id,
                    released);
        }
        jobSpecs.defaultEnvironment().ifPresent(spec -> {
            try {
                environments.pin(spec); // so that the TTL controller covers its platform from the start
            } catch (RuntimeException e) {
                throw new ConfigurationException("the agent's default environment is not valid: " + e.getMessage());
            }
        });
        recorder = new Recorder(queue, recordInterval, this::refused, "flowport-agent-recorder");
        timer = new ScheduledThreadPoolExecutor(1, daemon("flowport-agent-timer"));
        cleaner = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1),
                daemon("flowport-agent-cleaner"), new ThreadPoolExecutor.DiscardPolicy());
        inProcess = new ThreadPoolExecutor(inProcessThreads, inProcessThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemon("flowport-agent-run"));
        inProcess.allowCoreThreadTimeOut(true);
        metrics.bind(id, () -> held.size(), () -> queueDepth);
        timer.scheduleWithFixedDelay(this::heartbeat, heartbeatInterval.toNanos(), heartbeatInterval.toNanos(),
                TimeUnit.NANOSECONDS);
        if (ttl != null) {
            timer.scheduleWithFixedDelay(() -> cleaner.execute(this::cleanup), cleanupInterval.toNanos(), cleanupInterval.toNanos(),
                    TimeUnit.NANOSECONDS);
        }
        claiming = true;
        state = State.RUNNING;
        claimThread = new Thread(this::claimLoop, "flowport-agent-claim");
        claimThread.setDaemon(true);
        claimThread.start();
        LOG.info("agent {} started on {}: labels {}, at most {} runs in flight, lease {}, TTL {}", id, queue.describe(),
                labels, maxConcurrent, lease, ttl == null ? "off" : ttl);
        return this;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ================================================================== claiming

    private void claimLoop() {
        int failures = 0;
        while (claiming) {
            int free = maxConcurrent - held.size();
            if (free <= 0) {
                awaitSlot();
                continue;
            }
            int want = Math.min(free, claimBatch);
            long start = System.nanoTime();
            List<RunQueue.Claim> claims;
            try {
                claims = queue.claim(id, labels, want, lease);
                if (failures > 0) {
                    LOG.info("agent {}: the queue answers again", id);
                }
                failures = 0;
            } catch (RuntimeException e) {
                failures++;
                if (failures == 1) {
                    LOG.warn("agent {}: could not claim runs: {}; trying again", id, e.getMessage());
                }
                pause(pollInterval.multipliedBy(Math.min(30, 1L << Math.min(failures, 5))));
                continue;
            }
            int takeovers = 0;
            long gen = generation.get();
            for (RunQueue.Claim c : claims) {
                if (c.isTakeover()) {
                    takeovers++;
                }
                dispatch(c, gen);
            }
            claimedTotal.addAndGet(claims.size());
            metrics.claimed(claims.size(), takeovers, Duration.ofNanos(System.nanoTime() - start));
            if (claims.size() < want) {
                pause(pollInterval);
            }
        }
    }

    private void awaitSlot() {
        synchronized (slots) {
            if (claiming && held.size() >= maxConcurrent) {
                try {
                    slots.wait(pollInterval.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    claiming = false;
                }
            }
        }
    }

    private void pause(Duration d) {
        synchronized (slots) {
            if (!claiming) {
                return;
            }
            try {
                slots.wait(Math.max(1, d.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                claiming = false;
            }
        }
    }

    private void dispatch(RunQueue.Claim claim, long gen) {
        QueuedRun q = claim.run();
        Held h = new Held(q, claim, gen);
        held.put(q.id(), h);
        if (claim.isTakeover()) {
            LOG.info("agent {}: took over run {} from agent {} (state {})", id, q.id(), claim.previousAgent(),
                    q.state());
        }
        try {
            Spec resolved = spec(q);
            h.env = environments.acquire(resolved.spec(), resolved.key());
            Environment env = h.env.environment();
            for (String w : resolved.warnings()) {
                recorder.add(h.transition(q.state(), "warning: " + w, null, null));
            }
            Storage storage = flows.storage(q);
            boolean remote = env instanceof BackendEnvironment;
            Map<String, Object> parameters = AgentJson.parameters(q.parametersJson());
            Flow flow = remote ? flows.reference(q, parameters.keySet()) : flows.load(q, storage);
            FlowRun.Builder fb = FlowRun.builder().id(q.id()).parameters(parameters)
                    .storage(storage, q.flowLocation()).cancellation(h.token).listener(new Listener(h));
            if (q.timeout() != null) {
                fb.timeout(q.timeout());
            }
            FlowRun run = fb.build();
            if (q.cancelReason() != null) {
                h.token.cancel(q.cancelReason());
            }
            if (env instanceof BackendEnvironment be) {
                h.remote = true;
                CompletableFuture<FlowRunResult> f = claim.isTakeover() ? be.resume(flow, run) : be.submit(flow, run);
                f.whenComplete((result, error) -> ended(h, result, error));
            } else {
                executeInProcess(h, claim, env, flow, run);
            }
        } catch (RuntimeException | LinkageError e) {
            ended(h, null, e);
        }
    }

    /** The resolved spec of a run; without a callback it depends on the run's document only, so it is cached. */
    private Spec spec(QueuedRun q) {
        if (jobSpecs.hasCustomizer()) {
            JobSpecs.Resolved r = jobSpecs.resolve(q);
            return new Spec(r.spec(), r.spec().toString(), r.warnings());
        }
        String key = q.environmentJson() == null ? "" : q.environmentJson();
        Spec s = specs.get(key);
        if (s == null) {
            JobSpecs.Resolved r = jobSpecs.resolve(q);
            s = new Spec(r.spec(), r.spec().toString(), r.warnings());
            if (specs.size() >= 1000) {
                specs.clear(); // a bound, not an eviction policy: runs mostly share a few documents
            }
            specs.put(key, s);
        }
        return s;
    }

    /** A resolved spec, its text (the environment cache's key) and its warnings. */
    private record Spec(com.fasterxml.jackson.databind.node.ObjectNode spec, String key, List<String> warnings) {
    }

    private void executeInProcess(Held h, RunQueue.Claim claim, Environment env, Flow flow, FlowRun run) {
        String type = env instanceof io.flowport.core.AbstractEnvironment a ? a.type() : env.getClass().getSimpleName();
        if (claim.isTakeover() && claim.run().state() != RunState.CLAIMED) {
            ended(h, FlowRunResult.of(run.id(), flow.name(), io.flowport.core.State.crashed("agent "
                    + claim.previousAgent() + " stopped while this run was executing in its process ('" + type
                    + "' environment); such a run cannot be reattached, so it is not started again (at most once). "
                    + "Submit it again to rerun it.", null), Instant.now()), null);
            return;
        }
        try {
            inProcess.execute(() -> {
                boolean applied;
                try {
                    applied = recorder.add(h.transition(RunState.LAUNCHED, "started in agent " + id + " (" + type
                            + " environment)", "agent:" + id, null)).get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    applied = false;
                } catch (java.util.concurrent.ExecutionException e) {
                    applied = false;
                }
                if (!applied) {
                    // taken over, or the agent is closing: never start a run the queue does not say is ours
                    lost(h, "its start could not be recorded");
                    return;
                }
                metrics.launched(Duration.between(h.submittedAt, Instant.now()));
                FlowRunResult result = null;
                Throwable error = null;
                try {
                    result = env.execute(flow, run);
                } catch (RuntimeException | Error e) {
                    error = e;
                }
                ended(h, result, error);
            });
        } catch (RejectedExecutionException e) {
            ended(h, null, new LaunchException("agent " + id + " is shutting down"));
        }
    }

    /** A run ended (or could not start): records its final state, then frees its slot. */
    private void ended(Held h, FlowRunResult result, Throwable error) {
        if (!h.ended.compareAndSet(false, true)) {
            return;
        }
        try {
            if (h.lost || (h.remote && releasing)) {
                return; // taken over, or left running and released: the next holder records the outcome
            }
            RunState s;
            String message;
            String logs = null;
            if (error != null) {
                s = error instanceof ConfigurationException || error instanceof LaunchException ? RunState.FAILED
                        : RunState.CRASHED;
                message = error instanceof io.flowport.core.FlowportException ? error.getMessage() : error.toString();
            } else {
                s = RunState.of(result.state().type());
                message = result.state().message();
                if (result.logs() != RunLogs.NONE) {
                    logs = result.logs().location();
                }
            }
            if (s == RunState.FAILED || s == RunState.CRASHED) {
                LOG.info("agent {}: run {} ended {}: {}", id, h.id, s, message);
            }
            // queued before the slot is freed, so that whoever waits for the slots (a drain) finds it queued
            recorder.add(h.transition(s, message, null, logs));
            metrics.finished(s);
        } finally {
            h.free();
        }
    }

    /** The queue no longer says this agent holds the run: stop counting it, record nothing more for it. */
    private void lost(Held h, String why) {
        h.lost = true;
        if (h.free()) {
            LOG.warn("agent {}: run {} is no longer ours ({}); another agent holds it", id, h.id, why);
        }
    }

    private void refused(Set<String> ids) {
        for (String runId : ids) {
            Held h = held.get(runId);
            if (h != null) {
                lost(h, "the queue refused its state change");
            }
        }
    }

    // ================================================================== heartbeats and cleanup

    private void heartbeat() {
        long gen = generation.incrementAndGet();
        RunQueue.Heartbeat hb;
        try {
            hb = queue.heartbeat(id, lease);
        } catch (RuntimeException e) {
            LOG.warn("agent {}: heartbeat failed ({} runs held): {}", id, held.size(), e.getMessage());
            return;
        }
        queueDepth = hb.queued();
        for (Held h : held.values()) {
            if (h.generation >= gen) {
                continue; // claimed while this heartbeat was under way
            }
            Integer claims = hb.held().get(h.id);
            if (claims == null || claims != h.claims) {
                lost(h, "its lease was taken over");
                continue;
            }
            String cancel = hb.cancelRequests().get(h.id);
            if (cancel != null && !h.token.isCancelled()) {
                LOG.info("agent {}: cancelling run {}: {}", id, h.id, cancel);
                h.token.cancel(cancel);
            }
        }
        try {
            environments.evictIdle(environmentIdleTimeout.toNanos());
        } catch (RuntimeException e) {
            LOG.warn("agent {}: closing idle environments failed: {}", id, e.toString());
        }
    }

    private int cleanup() {
        int total = 0;
        for (Environment env : environments.all()) {
            if (env instanceof BackendEnvironment be) {
                try {
                    total += be.deleteFinished(ttl, clock).size();
                } catch (RuntimeException e) {
                    LOG.warn("agent {}: TTL cleanup on {} failed: {}", id, env, e.getMessage());
                }
            }
        }
        if (total > 0) {
            LOG.info("agent {}: deleted {} finished unit(s) older than {}", id, total, ttl);
            metrics.deleted(total);
        }
        return total;
    }

    /**
     * Runs the TTL controller once, now, on the calling thread: deletes finished units carrying Flowport's labels
     * that finished more than {@link Builder#ttl} ago, on the platform of every environment the agent holds.
     * Blocking.
     *
     * @return how many units were deleted
     * @throws IllegalStateException if the agent has no TTL
     */
    public int cleanupNow() {
        if (ttl == null) {
            throw new IllegalStateException("agent " + id + " has no TTL");
        }
        return cleanup();
    }

    // ================================================================== shutdown

    /**
     * Stops the agent. It stops claiming at once; then
     * <ul>
     *   <li>with {@code drain}: waits (at most {@code timeout}) until every run it holds has ended and is recorded;</li>
     *   <li>without, or when the wait times out: runs on remote infrastructure keep running — their leases are released,
     *       so the next agent takes them over at once and reattaches; runs executing in this process are cancelled
     *       (waiting at most {@code timeout}) and recorded {@code Cancelled}.</li>
     * </ul>
     * Then closes its environments and marks itself stopped in the queue. Blocking; idempotent.
     */
    public void shutdown(boolean drain, Duration timeout) {
        synchronized (this) {
            if (state != State.RUNNING) {
                if (state == State.NEW) {
                    state = State.STOPPED;
                }
                return;
            }
            state = State.STOPPING;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (slots) {
            claiming = false;
            slots.notifyAll();
        }
        join(claimThread, deadline);
        LOG.info("agent {}: stopped claiming; {} run(s) in flight ({})", id, held.size(),
                drain ? "waiting for them" : "remote ones are left running for the next agent");
        if (drain) {
            awaitEmpty(deadline);
        }
        List<Held> local = held.values().stream().filter(h -> !h.remote).toList();
        for (Held h : local) {
            h.token.cancel("the agent " + id + " is shutting down");
        }
        if (!local.isEmpty()) {
            awaitLocal(deadline);
        }
        releasing = true;
        timer.shutdownNow();
        cleaner.shutdownNow();
        Duration left = Duration.ofNanos(Math.max(TimeUnit.SECONDS.toNanos(5), deadline - System.nanoTime()));
        recorder.close(left);
        int released = 0;
        try {
            released = queue.release(id, "agent " + id + " shut down; the runs it held keep running and are taken "
                    + "over by the next agent");
            queue.agentStopped(id);
        } catch (RuntimeException e) {
            LOG.warn("agent {}: could not release its runs ({}); they are taken over when their leases expire", id,
                    e.getMessage());
        }
        environments.closeAll();
        inProcess.shutdownNow();
        state = State.STOPPED;
        LOG.info("agent {} stopped; {} run(s) released for the next agent", id, released);
    }

    private void awaitEmpty(long deadline) {
        synchronized (slots) {
            while (!held.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("agent {}: {} run(s) still in flight when the drain timed out", id, held.size());
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(slots, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void awaitLocal(long deadline) {
        synchronized (slots) {
            while (held.values().stream().anyMatch(h -> !h.remote)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(slots, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void join(Thread t, long deadline) {
        if (t == null) {
            return;
        }
        try {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #shutdown}{@code (false, 30 s)}: runs on remote infrastructure are left running for the next agent. */
    @Override
    public void close() {
        shutdown(false, Duration.ofSeconds(30));
    }

    @Override
    public String toString() {
        return "Agent[" + id + ", labels=" + labels + ", in flight=" + held.size() + "/" + maxConcurrent + ", "
                + queue.describe() + "]";
    }

    // ================================================================== one run

    /** A run this agent holds. Small: thousands are held at once. */
    private final class Held {
        final String id;
        final int claims;
        final Instant submittedAt;
        final long generation;
        final CancellationToken token = new CancellationToken();
        final AtomicBoolean freed = new AtomicBoolean();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile Environments.Entry env;
        volatile boolean remote;
        volatile boolean lost;

        Held(QueuedRun q, RunQueue.Claim claim, long generation) {
            this.id = q.id();
            this.claims = q.claims();
            this.submittedAt = q.submittedAt();
            this.generation = generation;
        }

        RunQueue.Transition transition(RunState s, String message, String unit, String logs) {
            return new RunQueue.Transition(id, Agent.this.id, claims, s, Instant.now(), message, unit, logs);
        }

        /** Frees the run's slot and environment, once; false if it was freed before. */
        boolean free() {
            if (!freed.compareAndSet(false, true)) {
                return false;
            }
            held.remove(id, this);
            Environments.Entry e = env;
            if (e != null) {
                environments.release(e);
            }
            synchronized (slots) {
                slots.notifyAll();
            }
            return true;
        }
    }

    /** Records the phases of a run's infrastructure as the lifecycle reports them. */
    private final class Listener implements FlowRunListener {
        private final Held h;

        Listener(Held h) {
            this.h = h;
        }

        @Override
        public void runPhaseChanged(FlowRun run, PhaseChange change) {
            RunState s = RunState.of(change.phase());
            if (s == null || h.lost || (releasing && h.remote) || h.freed.get()) {
                return;
            }
            String unit = null;
            String message = change.detail();
            if (s == RunState.LAUNCHED) {
                boolean reattached = message.startsWith("reattached to ");
                unit = reattached ? message.substring("reattached to ".length()) : message;
                message = reattached ? message : "launched as " + message;
                if (reattached) {
                    metrics.reattached();
                } else {
                    metrics.launched(Duration.between(h.submittedAt, change.at()));
                }
            }
            recorder.add(new RunQueue.Transition(h.id, id, h.claims, s, change.at(), message, unit, null));
        }
    }

    // ================================================================== settings

    /** Builds an {@link Agent}; {@link #build()} validates every setting at once. */
    public static final class Builder {
        private final RunQueue queue;
        private String id;
        private final Set<String> labels = new LinkedHashSet<>();
        private int maxConcurrent = 100;
        private int claimBatch = 100;
        private Duration lease = Duration.ofSeconds(30);
        private Duration heartbeatInterval;
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration ttl = Duration.ofHours(1);
        private Duration cleanupInterval = Duration.ofMinutes(5);
        private Duration environmentIdleTimeout = Duration.ofMinutes(10);
        private Duration recordInterval = Duration.ofMillis(50);
        private int inProcessThreads = 8;
        private JobSpecs jobSpecs = JobSpecs.none();
        private EnvironmentFactory environmentFactory = EnvironmentFactory.DEFAULT;
        private AgentMetrics metrics = AgentMetrics.NONE;
        private Clock clock = Clock.systemUTC();
        private Path processDirectory = Paths.get(System.getProperty("user.home"), ".flowport", "processes");

        private Builder(RunQueue queue) {
            this.queue = Objects.requireNonNull(queue, "queue");
        }

        /**
         * The agent's id (default: host, process id and a random suffix). Give a stable id to an agent that restarts
         * (a service, a pod of a StatefulSet): it then takes its runs back at once instead of after their leases
         * expire. Two agents running at the same time must never share an id.
         */
        public Builder id(String value) {
            this.id = Objects.requireNonNull(value, "id");
            return this;
        }

        /** Adds labels: the agent claims runs whose labels are all among its own. */
        public Builder labels(Iterable<String> values) {
            values.forEach(l -> labels.add(Objects.requireNonNull(l, "label")));
            return this;
        }

        /** Adds labels. */
        public Builder labels(String... values) {
            return labels(List.of(values));
        }

        /** The most runs in flight (default 100); the rest wait in the queue. */
        public Builder maxConcurrent(int value) {
            this.maxConcurrent = value;
            return this;
        }

        /** The most runs one claim call takes (default 100). */
        public Builder claimBatch(int value) {
            this.claimBatch = value;
            return this;
        }

        /** How long a claim holds without a heartbeat (default 30 s); another agent takes over after it. */
        public Builder lease(Duration value) {
            this.lease = Objects.requireNonNull(value, "lease");
            return this;
        }

        /** How often leases are renewed and cancellations picked up (default: a third of the lease). */
        public Builder heartbeatInterval(Duration value) {
            this.heartbeatInterval = Objects.requireNonNull(value, "heartbeatInterval");
            return this;
        }

        /** How long the agent waits before asking again when the queue had nothing for it (default 1 s). */
        public Builder pollInterval(Duration value) {
            this.pollInterval = Objects.requireNonNull(value, "pollInterval");
            return this;
        }

        /**
         * Finished units carrying Flowport's labels are deleted once they finished longer ago than this (default 1
         * hour); {@code null} turns the TTL controller off.
         */
        public Builder ttl(Duration value) {
            this.ttl = value;
            return this;
        }

        /** How often the TTL controller runs (default 5 min). */
        public Builder cleanupInterval(Duration value) {
            this.cleanupInterval = Objects.requireNonNull(value, "cleanupInterval");
            return this;
        }

        /** An environment object no run used for this long is closed (default 10 min). */
        public Builder environmentIdleTimeout(Duration value) {
            this.environmentIdleTimeout = Objects.requireNonNull(value, "environmentIdleTimeout");
            return this;
        }

        /** How long state transitions gather before they are written in one transaction (default 50 ms). */
        public Builder recordInterval(Duration value) {
            this.recordInterval = Objects.requireNonNull(value, "recordInterval");
            return this;
        }

        /** Threads for runs executed in the agent's process (environments that are not remote; default 8). */
        public Builder inProcessThreads(int value) {
            this.inProcessThreads = value;
            return this;
        }

        /** The agent-side job spec: default environment, templates, profiles, callback. */
        public Builder jobSpecs(JobSpecs value) {
            this.jobSpecs = Objects.requireNonNull(value, "jobSpecs");
            return this;
        }

        /** Builds environment objects from documents (default: {@link EnvironmentFactory#DEFAULT}). */
        public Builder environmentFactory(EnvironmentFactory value) {
            this.environmentFactory = Objects.requireNonNull(value, "environmentFactory");
            return this;
        }

        /** Where the agent's metrics go (default: nowhere; see {@link MicrometerAgentMetrics}). */
        public Builder metrics(AgentMetrics value) {
            this.metrics = Objects.requireNonNull(value, "metrics");
            return this;
        }

        /**
         * Where runs of {@code local-process} environments keep their state (default {@code ~/.flowport/processes}).
         * The agent starts them detached, through a small {@code sh} wrapper that records the process's pid, output
         * and exit code in a directory per run there, so that they outlive the agent and the next agent on this
         * machine reattaches to them by label; the TTL controller deletes finished ones. {@code null} runs them
         * in-process instead, through {@link Environment#execute}, like other non-remote environments (a run in
         * flight when the agent dies then ends {@code Crashed}). Agents that should take over each other's local
         * processes must share this directory (one machine).
         */
        public Builder localProcesses(Path directory) {
            this.processDirectory = directory;
            return this;
        }

        /** The clock of the TTL controller (default: UTC system clock). */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * The agent (not started).
         *
         * @throws ConfigurationException listing every invalid setting
         */
        public Agent build() {
            List<String> problems = new ArrayList<>();
            if (id != null && (id.isBlank() || id.length() > 200)) {
                problems.add("id must be 1 to 200 characters");
            }
            for (String l : labels) {
                if (l.isBlank() || l.contains(",")) {
                    problems.add("label '" + l + "' must not be blank or contain ','");
                }
            }
            if (maxConcurrent < 1) {
                problems.add("maxConcurrent must be >= 1, was " + maxConcurrent);
            }
            if (claimBatch < 1) {
                problems.add("claimBatch must be >= 1, was " + claimBatch);
            }
            if (inProcessThreads < 1) {
                problems.add("inProcessThreads must be >= 1, was " + inProcessThreads);
            }
            positive("lease", lease, problems);
            positive("pollInterval", pollInterval, problems);
            positive("cleanupInterval", cleanupInterval, problems);
            positive("environmentIdleTimeout", environmentIdleTimeout, problems);
            positive("recordInterval", recordInterval, problems);
            if (ttl != null) {
                positive("ttl", ttl, problems);
            }
            if (heartbeatInterval != null) {
                positive("heartbeatInterval", heartbeatInterval, problems);
                if (heartbeatInterval.compareTo(lease) >= 0) {
                    problems.add("heartbeatInterval (" + heartbeatInterval + ") must be shorter than the lease ("
                            + lease + "), or leases expire between heartbeats");
                }
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException("Agent", problems);
            }
            return new Agent(this);
        }

        private static void positive(String name, Duration d, List<String> problems) {
            if (d.isZero() || d.isNegative()) {
                problems.add(name + " must be a positive duration, was " + d);
            }
        }
    }
}
