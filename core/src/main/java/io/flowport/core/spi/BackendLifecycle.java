package io.flowport.core.spi;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.FlowportException;
import io.flowport.core.LaunchException;
import io.flowport.core.RunLogs;
import io.flowport.core.State;
import io.flowport.core.StateType;
import io.flowport.core.TransientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The provider-independent lifecycle of remote flow runs, written once for every {@link Backend}: prepare the
 * definition (once per flow), launch with an idempotency token and jittered-backoff retries under a total
 * deadline, follow many runs at once (one poller per lifecycle, batched calls of at most
 * {@link Observation.Polling#maxBatch()} launches and an adaptive interval; or one watch per run), crash runs
 * stuck before starting, stop on cancellation or run timeout, map the outcome to a {@link State}, and attach
 * the logs.
 *
 * <p>No thread is held per run: {@link #submit} returns at once and completes a future. Thread-safe.
 */
public final class BackendLifecycle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackendLifecycle.class);

    private final Backend backend;
    private final Settings settings;
    private final ScheduledThreadPoolExecutor scheduler;
    private final Map<String, CompletableFuture<Definition>> definitions = new ConcurrentHashMap<>();
    private final Set<Tracked> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextLaunchSlot = new AtomicLong(System.nanoTime());
    private final Poller poller;
    private volatile boolean closed;

    /** A lifecycle for {@code backend}; threads start lazily. */
    public BackendLifecycle(Backend backend, Settings settings) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.settings = Objects.requireNonNull(settings, "settings");
        AtomicInteger seq = new AtomicInteger();
        this.scheduler = new ScheduledThreadPoolExecutor(settings.threads(), r -> {
            Thread t = new Thread(r, "flowport-" + backend.name() + "-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.scheduler.setRemoveOnCancelPolicy(true);
        this.poller = backend.observation() instanceof Observation.Polling p ? new Poller(p) : null;
    }

    /** The backend this lifecycle drives. */
    public Backend backend() {
        return backend;
    }

    /** How many runs are launched or being launched and not finished. */
    public int inFlight() {
        return inFlight.size();
    }

    /**
     * Makes the definition for {@code flow} exist, once per flow name for the life of this object (concurrent
     * callers share one call). Blocking.
     */
    public Definition prepare(Flow flow) {
        CompletableFuture<Definition> f = definitions.computeIfAbsent(flow.name(), k -> new CompletableFuture<>());
        if (!f.isDone()) {
            synchronized (f) {
                if (!f.isDone()) {
                    try {
                        Definition d = withRetries("prepare the definition of flow '" + flow.name() + "'",
                                () -> backend.prepare(flow));
                        LOG.info("{}: definition {} for flow '{}' ({})", backend.name(), d.id(), flow.name(),
                                d.created() ? "registered" : "reused");
                        f.complete(d);
                    } catch (RuntimeException e) {
                        definitions.remove(flow.name(), f);
                        throw e;
                    }
                }
            }
        }
        return f.join();
    }

    /**
     * Launches one run and follows it; returns at once. The future completes with the run's result (never
     * exceptionally for a failure of the run itself: a refused launch is a {@code Failed} result).
     */
    public CompletableFuture<FlowRunResult> submit(Flow flow, FlowRun run, LaunchRequest request) {
        if (closed) {
            throw new IllegalStateException("this lifecycle of backend " + backend.name() + " is closed");
        }
        Tracked t = new Tracked(flow.name(), run, request);
        inFlight.add(t);
        t.cancelHook = run.cancellation().onCancel(() -> requestStop(t,
                t.stopAs == StateType.TIMED_OUT ? StateType.TIMED_OUT : StateType.CANCELLED,
                run.cancellation().reason()));
        run.timeout().ifPresent(timeout -> t.timers.add(scheduler.schedule(() -> {
            t.stopAs = StateType.TIMED_OUT;
            run.cancellation().cancel("run timed out after " + timeout);
        }, timeout.toNanos(), TimeUnit.NANOSECONDS)));
        long deadline = System.nanoTime() + settings.launchDeadline().toNanos();
        scheduler.execute(() -> {
            try {
                Definition d = prepare(flow);
                scheduleLaunch(t, d, 0, deadline);
            } catch (RuntimeException e) {
                finish(t, failure("could not prepare the definition", e), null);
            }
        });
        return t.future;
    }

    /**
     * Launches one run and waits for its end. Blocking; interrupting the calling thread cancels the run.
     */
    public FlowRunResult execute(Flow flow, FlowRun run, LaunchRequest request) {
        CompletableFuture<FlowRunResult> f = submit(flow, run, request);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    run.cancellation().cancel("the thread waiting for the run was interrupted");
                } catch (ExecutionException e) {
                    throw new FlowportException("flow run " + run.id() + " on " + backend.name() + " failed: "
                            + e.getCause(), e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void scheduleLaunch(Tracked t, Definition d, int attempt, long deadline) {
        long delay = 0;
        if (settings.launchesPerSecond() > 0) {
            long interval = (long) (1e9 / settings.launchesPerSecond());
            long now = System.nanoTime();
            long slot = nextLaunchSlot.getAndAccumulate(now, (prev, n) -> Math.max(n, prev) + interval);
            delay = Math.max(0, Math.max(now, slot) - now);
        }
        scheduler.schedule(() -> launch(t, d, attempt, deadline), delay, TimeUnit.NANOSECONDS);
    }

    private void launch(Tracked t, Definition d, int attempt, long deadline) {
        if (t.run.cancellation().isCancelled()) {
            finish(t, State.of(t.stopAs == null ? StateType.CANCELLED : t.stopAs,
                    t.run.cancellation().reason() + " (before launch)"), null);
            return;
        }
        Launch launch;
        try {
            launch = backend.launch(d, t.request);
        } catch (TransientException e) {
            long wait = settings.backoff().delay(attempt).toNanos();
            if (System.nanoTime() + wait > deadline) {
                finish(t, State.failed("could not launch on " + backend.name() + " within "
                        + settings.launchDeadline() + " (" + (attempt + 1) + " attempts); last error: "
                        + e.getMessage(), e), null);
            } else {
                LOG.debug("{}: launch of run {} throttled or failed transiently ({}); retry {} in {} ms",
                        backend.name(), t.run.id(), e.getMessage(), attempt + 1, wait / 1_000_000);
                scheduler.schedule(() -> launch(t, d, attempt + 1, deadline), wait, TimeUnit.NANOSECONDS);
            }
            return;
        } catch (RuntimeException e) {
            finish(t, failure("launch refused", e), null);
            return;
        }
        synchronized (t) {
            t.launch = launch;
        }
        t.request = null; // the request (with its serialized environment) is not needed any more
        LOG.info("{}: flow run {} launched as {}", backend.name(), t.run.id(), launch.id());
        t.timers.add(scheduler.schedule(() -> checkStarted(t), settings.startTimeout().toNanos(),
                TimeUnit.NANOSECONDS));
        if (poller != null) {
            poller.add(t);
        } else {
            try {
                t.watch = ((Observation.Watching) backend.observation()).watch(launch, s -> onStatus(t, s));
            } catch (RuntimeException e) {
                requestStop(t, StateType.CRASHED, "could not follow the run: " + e.getMessage());
            }
        }
        sendStop(t); // a cancellation or timeout that came while the launch call was under way
    }

    private State failure(String what, RuntimeException e) {
        if (e instanceof LaunchException || e instanceof ConfigurationException) {
            return State.failed(what + " by " + backend.name() + ": " + e.getMessage(), e);
        }
        return State.crashed(what + ": " + e, e);
    }

    private void checkStarted(Tracked t) {
        RunStatus last = t.last;
        if (t.future.isDone() || (last != null && !last.phase().isStarting())) {
            return;
        }
        requestStop(t, StateType.CRASHED, "did not start within " + settings.startTimeout()
                + (last == null ? "" : " (last status: " + last.phase() + (last.detail().isEmpty() ? "" : ", "
                + last.detail()) + ")"));
    }

    /** Records why the run ends (the first reason wins) and stops the unit once it is launched. */
    private void requestStop(Tracked t, StateType as, String reason) {
        synchronized (t) {
            if (t.future.isDone()) {
                return;
            }
            if (t.stopReason == null) {
                t.stopAs = as;
                t.stopReason = reason;
            }
        }
        sendStop(t);
    }

    /** Sends the stop requested for {@code t}, once, if it is launched; then waits a while for confirmation. */
    private void sendStop(Tracked t) {
        Launch launch;
        StateType as;
        String reason;
        synchronized (t) {
            launch = t.launch;
            if (launch == null || t.stopReason == null || t.stopSent || t.future.isDone()) {
                return; // a pending launch sees the cancellation and never starts
            }
            t.stopSent = true;
            as = t.stopAs;
            reason = t.stopReason;
        }
        LOG.info("{}: stopping {} of flow run {}: {}", backend.name(), launch.id(), t.run.id(), reason);
        scheduler.execute(() -> stopWithRetries(launch, reason, 0));
        t.timers.add(scheduler.schedule(() -> finish(t, State.of(as, reason
                        + " (the platform did not confirm the stop within " + settings.stopTimeout() + ")"), launch),
                settings.stopTimeout().toNanos(), TimeUnit.NANOSECONDS));
    }

    private void stopWithRetries(Launch launch, String reason, int attempt) {
        try {
            backend.stop(launch, reason);
        } catch (TransientException e) {
            if (attempt < 8) {
                scheduler.schedule(() -> stopWithRetries(launch, reason, attempt + 1),
                        settings.backoff().delay(attempt).toNanos(), TimeUnit.NANOSECONDS);
            } else {
                LOG.warn("{}: could not stop {}: {}", backend.name(), launch.id(), e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: could not stop {}: {}", backend.name(), launch.id(), e.toString());
        }
    }

    private void onStatus(Tracked t, RunStatus s) {
        t.last = s;
        t.missing = 0;
        if (!s.isFinished()) {
            return;
        }
        State state = s.state();
        if (t.stopAs != null && !(t.stopAs == StateType.CANCELLED && state.isSuccess())) {
            state = new State(t.stopAs, t.stopReason + (s.detail().isEmpty() ? "" : "; " + s.detail()), state.cause());
        }
        finish(t, state, t.launch);
    }

    private void onMissing(Tracked t) {
        if (++t.missing >= settings.missingPollsBeforeCrash()) {
            finish(t, State.crashed(backend.name() + " no longer knows " + t.launch.id() + " (not found in "
                    + t.missing + " status reads)", null), t.launch);
        }
    }

    private void finish(Tracked t, State state, Launch launch) {
        synchronized (t) {
            if (t.future.isDone()) {
                return;
            }
            inFlight.remove(t);
            if (poller != null) {
                poller.remove(t);
            }
            for (ScheduledFuture<?> f : t.timers) {
                f.cancel(false);
            }
            closeQuietly(t.watch);
            closeQuietly(t.cancelHook);
        }
        RunLogs logs = RunLogs.NONE;
        if (launch != null) {
            try {
                logs = backend.logs(launch);
            } catch (RuntimeException e) {
                LOG.debug("{}: no logs for {}: {}", backend.name(), launch.id(), e.toString());
            }
        }
        if (state.type() == StateType.FAILED && t.stopAs == null) {
            state = withRunnerReport(state, logs);
        }
        LOG.info("{}: flow run {} ended: {}", backend.name(), t.run.id(), state);
        t.future.complete(FlowRunResult.of(t.run.id(), t.flowName, state, t.submittedAt).withLogs(logs));
    }

    /**
     * Adds what the runner inside the unit reported (which task failed and why) to a failure the platform only
     * knows by its exit code. Reads the logs of failed runs only.
     */
    private State withRunnerReport(State state, RunLogs logs) {
        try {
            List<String> lines = logs.lines();
            for (int i = lines.size() - 1; i >= 0 && i >= lines.size() - 50; i--) {
                State reported = io.flowport.core.Runner.parseResultLine(lines.get(i));
                if (reported != null) {
                    return new State(state.type(), state.message() + "; the runner reported: " + reported,
                            state.cause());
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("{}: could not read the runner's report: {}", backend.name(), e.toString());
        }
        return state;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("close failed", e);
            }
        }
    }

    private <T> T withRetries(String what, java.util.function.Supplier<T> call) {
        long deadline = System.nanoTime() + settings.launchDeadline().toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                return call.get();
            } catch (TransientException e) {
                long wait = settings.backoff().delay(attempt).toNanos();
                if (System.nanoTime() + wait > deadline) {
                    throw new LaunchException("could not " + what + " on " + backend.name() + " within "
                            + settings.launchDeadline() + ": " + e.getMessage(), e);
                }
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted while trying to " + what);
                }
            }
        }
    }

    /** Stops following; runs in flight are left as they are (they carry labels and can be found again). */
    @Override
    public void close() {
        closed = true;
        if (poller != null) {
            poller.stop();
        }
        scheduler.shutdownNow();
    }

    /** One run being launched or followed. Kept small: thousands may be in flight. */
    private static final class Tracked {
        final String flowName;
        final FlowRun run;
        final Instant submittedAt = Instant.now();
        final CompletableFuture<FlowRunResult> future = new CompletableFuture<>();
        final List<ScheduledFuture<?>> timers = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile LaunchRequest request;
        volatile Launch launch;
        volatile RunStatus last;
        volatile StateType stopAs;
        volatile String stopReason;
        boolean stopSent;
        volatile AutoCloseable watch;
        volatile AutoCloseable cancelHook;
        int missing;

        Tracked(String flowName, FlowRun run, LaunchRequest request) {
            this.flowName = flowName;
            this.run = run;
            this.request = request;
        }
    }

    /** One thread that reads the status of every followed run in batches, faster while things change. */
    private final class Poller {
        private final Observation.Polling polling;
        private final Set<Tracked> followed = ConcurrentHashMap.newKeySet();
        private final Object signal = new Object();
        private Thread thread;
        private volatile boolean running = true;

        Poller(Observation.Polling polling) {
            this.polling = polling;
        }

        void add(Tracked t) {
            followed.add(t);
            synchronized (signal) {
                if (thread == null) {
                    thread = new Thread(this::loop, "flowport-" + backend.name() + "-poller");
                    thread.setDaemon(true);
                    thread.start();
                }
                signal.notifyAll();
            }
        }

        void remove(Tracked t) {
            followed.remove(t);
        }

        void stop() {
            running = false;
            synchronized (signal) {
                signal.notifyAll();
            }
        }

        private void loop() {
            long interval = settings.minPollInterval().toNanos();
            while (running) {
                List<Tracked> batch = new ArrayList<>(followed);
                if (batch.isEmpty()) {
                    synchronized (signal) {
                        while (running && followed.isEmpty()) {
                            try {
                                signal.wait();
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                    // a new run: look at it soon, not after a long idle interval
                    interval = settings.minPollInterval().toNanos();
                    sleep(interval);
                    continue;
                }
                boolean changed = pollAll(batch);
                interval = changed ? settings.minPollInterval().toNanos()
                        : Math.min(settings.maxPollInterval().toNanos(), interval * 2);
                sleep(interval);
            }
        }

        private boolean pollAll(List<Tracked> all) {
            boolean changed = false;
            int max = Math.max(1, polling.maxBatch());
            for (int from = 0; from < all.size(); from += max) {
                List<Tracked> batch = all.subList(from, Math.min(all.size(), from + max));
                List<Launch> launches = new ArrayList<>(batch.size());
                for (Tracked t : batch) {
                    launches.add(t.launch);
                }
                Map<String, RunStatus> statuses;
                try {
                    statuses = polling.describe(launches);
                } catch (RuntimeException e) {
                    // transient or not, the next poll tries again; runs stuck for good hit their start timeout
                    LOG.debug("{}: status read of {} runs failed: {}", backend.name(), launches.size(), e.toString());
                    continue;
                }
                for (Tracked t : batch) {
                    RunStatus s = statuses.get(t.launch.id());
                    if (s == null) {
                        onMissing(t);
                    } else {
                        if (!s.equals(t.last)) {
                            changed = true;
                        }
                        onStatus(t, s);
                    }
                }
            }
            return changed;
        }

        private void sleep(long nanos) {
            synchronized (signal) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(signal, nanos);
                } catch (InterruptedException e) {
                    running = false;
                }
            }
        }
    }

    /**
     * Tuning of the lifecycle.
     *
     * @param launchDeadline          total time for launch retries (throttling, 5xx)
     * @param startTimeout            a run still provisioning or pending after this is stopped and Crashed
     * @param stopTimeout             how long to wait for the platform to confirm a stop
     * @param minPollInterval         poll interval while statuses change
     * @param maxPollInterval         poll interval when nothing changes (doubling up to this)
     * @param missingPollsBeforeCrash a run absent from this many status reads in a row is Crashed
     * @param launchesPerSecond       client-side pacing of launches (0 = none); keeps bursts under a quota
     * @param backoff                 retry delays
     * @param threads                 threads for launches, stops and timers (no thread is held per run)
     */
    public record Settings(Duration launchDeadline, Duration startTimeout, Duration stopTimeout,
                           Duration minPollInterval, Duration maxPollInterval, int missingPollsBeforeCrash,
                           double launchesPerSecond, Backoff backoff, int threads) {

        /** Validates every setting and reports all problems in one {@link ConfigurationException}. */
        public Settings {
            List<String> problems = new ArrayList<>();
            positive(launchDeadline, "launchDeadline", problems);
            positive(startTimeout, "startTimeout", problems);
            positive(stopTimeout, "stopTimeout", problems);
            positive(minPollInterval, "minPollInterval", problems);
            positive(maxPollInterval, "maxPollInterval", problems);
            if (minPollInterval != null && maxPollInterval != null && maxPollInterval.compareTo(minPollInterval) < 0) {
                problems.add("maxPollInterval (" + maxPollInterval + ") must be >= minPollInterval ("
                        + minPollInterval + ")");
            }
            if (missingPollsBeforeCrash < 1) {
                problems.add("missingPollsBeforeCrash must be >= 1, was " + missingPollsBeforeCrash);
            }
            if (launchesPerSecond < 0) {
                problems.add("launchesPerSecond must be >= 0 (0 = unpaced), was " + launchesPerSecond);
            }
            if (threads < 1) {
                problems.add("threads must be >= 1, was " + threads);
            }
            Objects.requireNonNull(backoff, "backoff");
            if (!problems.isEmpty()) {
                throw new ConfigurationException("BackendLifecycle.Settings", problems);
            }
        }

        private static void positive(Duration d, String name, List<String> problems) {
            if (d == null || d.isZero() || d.isNegative()) {
                problems.add(name + " must be a positive duration, was " + d);
            }
        }

        /** Defaults for a cloud platform: 5 min launch deadline, 10 min start timeout, polls 2 s – 30 s. */
        public static Settings defaults() {
            return new Settings(Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(2),
                    Duration.ofSeconds(2), Duration.ofSeconds(30), 3, 0,
                    new Backoff(Duration.ofMillis(200), Duration.ofSeconds(20)), 4);
        }

        /** A copy with other poll intervals. */
        public Settings withPollIntervals(Duration min, Duration max) {
            return new Settings(launchDeadline, startTimeout, stopTimeout, min, max, missingPollsBeforeCrash,
                    launchesPerSecond, backoff, threads);
        }

        /** A copy with another start timeout. */
        public Settings withStartTimeout(Duration timeout) {
            return new Settings(launchDeadline, timeout, stopTimeout, minPollInterval, maxPollInterval,
                    missingPollsBeforeCrash, launchesPerSecond, backoff, threads);
        }

        /** A copy with another launch deadline and backoff. */
        public Settings withLaunchRetries(Duration deadline, Backoff retryBackoff) {
            return new Settings(deadline, startTimeout, stopTimeout, minPollInterval, maxPollInterval,
                    missingPollsBeforeCrash, launchesPerSecond, retryBackoff, threads);
        }

        /** A copy with client-side launch pacing. */
        public Settings withLaunchesPerSecond(double rate) {
            return new Settings(launchDeadline, startTimeout, stopTimeout, minPollInterval, maxPollInterval,
                    missingPollsBeforeCrash, rate, backoff, threads);
        }

        /** A copy with another number of threads for launches, stops and timers. */
        public Settings withThreads(int count) {
            return new Settings(launchDeadline, startTimeout, stopTimeout, minPollInterval, maxPollInterval,
                    missingPollsBeforeCrash, launchesPerSecond, backoff, count);
        }

        /** A copy with another stop timeout. */
        public Settings withStopTimeout(Duration timeout) {
            return new Settings(launchDeadline, startTimeout, timeout, minPollInterval, maxPollInterval,
                    missingPollsBeforeCrash, launchesPerSecond, backoff, threads);
        }
    }
}
