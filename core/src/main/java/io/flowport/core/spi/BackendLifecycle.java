package io.flowport.core.spi;

import dev.failsafe.Failsafe;
import dev.failsafe.RateLimiter;
import dev.failsafe.RetryPolicy;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.FlowportException;
import io.flowport.core.LaunchException;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunLogs;
import io.flowport.core.RunPhase;
import io.flowport.core.RunnerSettings;
import io.flowport.core.State;
import io.flowport.core.StateType;
import io.flowport.core.TransientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The provider-independent lifecycle of remote flow runs, written once for every {@link Backend}: prepare the
 * definition (once per flow), launch with an idempotency token and jittered-backoff retries under a total
 * deadline, follow many runs at once (one poller per lifecycle making batched calls of at most
 * {@link Observation.Polling#maxBatch()} launches, paced by a token bucket and an adaptive interval; or one watch
 * per run), crash runs stuck before starting or whose status cannot be read, stop on cancellation or run timeout,
 * map the outcome to a {@link State}, attach the logs, and tell the run's listener every phase.
 *
 * <p>Threads: one timer thread that never touches the network, one poller thread for batched status reads, and a
 * small I/O pool ({@link Settings#threads()}) for definitions, launches, stops and log reads. No thread is held
 * per run: {@link #submit} returns at once. Thread-safe.
 */
public final class BackendLifecycle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackendLifecycle.class);
    /**
     * The {@link FlowRunResult#details() detail} of a run that ended while its unit may still run (the lifecycle
     * was closed, or the unit's status could not be read): the unit's id. Such a unit carries its labels and can be
     * resumed ({@link #resume}); providers must not delete it as if it had finished.
     */
    public static final String UNIT_LEFT_RUNNING = "flowport.unitLeftRunning";
    /** How many of a failed run's last log lines are searched for the runner's own report. */
    static final int REPORT_LINES = 50;
    private static final int STOP_RETRIES = 8;

    private final Backend backend;
    private final Settings settings;
    private final Instrumentation instrumentation;
    private final String environment;
    private final String name;
    private final ScheduledThreadPoolExecutor timers;
    private final ThreadPoolExecutor io;
    private final RetryPolicy<Object> prepareRetries;
    private final RetryPolicy<Object> retries;
    private final RetryPolicy<Object> stopRetries;
    private final RateLimiter<Object> launchPacing;
    private final Map<String, CompletableFuture<Definition>> definitions = new ConcurrentHashMap<>();
    private final Set<Tracked> inFlight = ConcurrentHashMap.newKeySet();
    private final Poller poller;
    private volatile boolean closed;

    /** A lifecycle for {@code backend} without instrumentation; threads start lazily. */
    public BackendLifecycle(Backend backend, Settings settings) {
        this(backend, settings, Instrumentation.NONE, backend.name());
    }

    /**
     * A lifecycle for {@code backend}; threads start lazily.
     *
     * @param instrumentation what observes the backend's calls and the runs submitted without an observation
     * @param environment     the environment type those runs are counted under (e.g. {@code fargate-task})
     */
    public BackendLifecycle(Backend backend, Settings settings, Instrumentation instrumentation, String environment) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
        this.environment = Objects.requireNonNull(environment, "environment");
        this.name = backend.name();
        this.timers = new ScheduledThreadPoolExecutor(1, threads("timer"));
        this.timers.setRemoveOnCancelPolicy(true);
        this.io = new ThreadPoolExecutor(settings.threads(), settings.threads(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), threads("io"));
        this.io.allowCoreThreadTimeOut(true);
        this.prepareRetries = retryPolicy("prepare");
        this.retries = retryPolicy("launch");
        this.stopRetries = RetryPolicy.builder()
                .handle(TransientException.class)
                .withMaxRetries(STOP_RETRIES)
                .withDelayFn(ctx -> settings.backoff().delay(ctx.getAttemptCount() - 1))
                .onRetry(e -> retried("stop", e.getLastException()))
                .build();
        this.launchPacing = settings.launchesPerSecond() > 0
                ? RateLimiter.smoothBuilder(interval(settings.launchesPerSecond())).build() : null;
        this.poller = backend.observation() instanceof Observation.Polling p ? new Poller(p) : null;
    }

    private RetryPolicy<Object> retryPolicy(String operation) {
        return RetryPolicy.builder()
                .handle(TransientException.class)
                .withMaxRetries(-1)
                .withMaxDuration(settings.launchDeadline())
                .withDelayFn(ctx -> settings.backoff().delay(ctx.getAttemptCount() - 1))
                .onRetry(e -> retried(operation, e.getLastException()))
                .build();
    }

    private void retried(String operation, Throwable cause) {
        try {
            instrumentation.retried(name, operation, cause);
        } catch (RuntimeException e) {
            LOG.warn("{}: instrumentation failed on a retry: {}", name, e.toString());
        }
    }

    /** Calls the backend, telling {@code observation} how the call went. */
    private static <T> T observed(CallObservation observation, java.util.function.Supplier<T> call) {
        T value;
        try {
            value = call.get();
        } catch (RuntimeException | Error e) {
            failedCall(observation, e);
            throw e;
        }
        try {
            observation.succeeded();
        } catch (RuntimeException e) {
            LOG.warn("instrumentation failed on a call's end: {}", e.toString());
        }
        return value;
    }

    private static void failedCall(CallObservation observation, Throwable error) {
        try {
            observation.failed(error);
        } catch (RuntimeException e) {
            LOG.warn("instrumentation failed on a call's end: {}", e.toString());
        }
    }

    private CallObservation call(String operation) {
        try {
            CallObservation c = instrumentation.call(name, operation);
            return c == null ? CallObservation.NONE : c;
        } catch (RuntimeException e) {
            LOG.warn("{}: instrumentation failed on a call: {}", name, e.toString());
            return CallObservation.NONE;
        }
    }

    private CallObservation call(Tracked t, String operation) {
        try {
            CallObservation c = t.observation.call(name, operation);
            return c == null ? CallObservation.NONE : c;
        } catch (RuntimeException e) {
            LOG.warn("{}: instrumentation failed on a call: {}", name, e.toString());
            return CallObservation.NONE;
        }
    }

    private ThreadFactory threads(String kind) {
        AtomicInteger seq = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "flowport-" + backend.name() + "-" + kind + "-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static Duration interval(double perSecond) {
        return Duration.ofNanos(Math.max(1, (long) (1e9 / perSecond)));
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
     * callers share one call; a failed call is tried again by the next caller). Blocking.
     *
     * @throws LaunchException if the platform refuses the definition, or keeps failing transiently until the
     *                         launch deadline
     */
    public Definition prepare(Flow flow) {
        try {
            return prepareAsync(flow).join();
        } catch (CompletionException | CancellationException e) {
            throw prepareFailure(flow, unwrap(e));
        }
    }

    private CompletableFuture<Definition> prepareAsync(Flow flow) {
        return definitions.compute(flow.name(), (name, known) -> known != null && !known.isCompletedExceptionally()
                ? known
                : Failsafe.with(prepareRetries).with(io).getAsync(() -> {
                    Definition d = observed(call("prepare"), () -> backend.prepare(flow));
                    LOG.info("{}: definition {} for flow '{}' ({})", backend.name(), d.id(), flow.name(),
                            d.created() ? "registered" : "reused");
                    return d;
                }));
    }

    private RuntimeException prepareFailure(Flow flow, Throwable e) {
        if (e instanceof TransientException) {
            return new LaunchException("could not prepare the definition of flow '" + flow.name() + "' on "
                    + backend.name() + " within " + settings.launchDeadline() + ": " + e.getMessage(), e);
        }
        return e instanceof RuntimeException r ? r : new FlowportException(e.toString(), e);
    }

    /**
     * Launches one run and follows it; returns at once. The future completes with the run's result (never
     * exceptionally for a failure of the run itself: a refused launch is a {@code Failed} result). Cancelling the
     * future cancels the run exactly as its {@link FlowRun#cancellation()} would: the unit is stopped.
     *
     * @throws IllegalStateException if this lifecycle is closed
     */
    public CompletableFuture<FlowRunResult> submit(Flow flow, FlowRun run, LaunchRequest request) {
        return submit(flow, run, request, null);
    }

    /**
     * As {@link #submit(Flow, FlowRun, LaunchRequest)}, for a run already observed by its environment: {@code run}
     * carries the observation's listener, and the caller reports the run's end to it. With {@code null}, this
     * lifecycle observes the run itself through its {@link Instrumentation}.
     *
     * @throws IllegalStateException if this lifecycle is closed
     */
    public CompletableFuture<FlowRunResult> submit(Flow flow, FlowRun run, LaunchRequest request,
                                                   RunObservation observation) {
        Tracked t = track(flow, run, request, observation);
        prepareAndLaunch(t, flow);
        return t.handedOut;
    }

    /**
     * Follows a run that may have been launched already — by this process before a restart, or by another agent
     * that stopped — and returns at once. The run's unit is looked up by its {@link Labels#FLOW_RUN_ID} label: a
     * running unit is followed, a finished one gives its final state, and when none exists the run is launched
     * with {@code request}, whose idempotency token must be the one of the first launch (so that a launch whose
     * answer was lost is not repeated).
     *
     * @throws IllegalStateException if this lifecycle is closed
     */
    public CompletableFuture<FlowRunResult> resume(Flow flow, FlowRun run, LaunchRequest request) {
        Tracked t = track(flow, run, request, null);
        synchronized (t) {
            t.attempting = true; // a stop request during the look-up waits for its answer
        }
        execute(io, () -> reattach(t, flow), () -> finish(t, closedBeforeLaunch(), null));
        return t.handedOut;
    }

    private void reattach(Tracked t, Flow flow) {
        Backend.Found newest;
        try {
            newest = observed(call(t, "find"), () -> backend.find(Map.of(Labels.FLOW_RUN_ID,
                    Labels.safeValue(t.run.id())))).stream()
                    .max(Comparator.comparing(f -> f.launch().launchedAt())).orElse(null);
        } catch (RuntimeException e) {
            synchronized (t) {
                t.attempting = false;
            }
            finish(t, State.crashed("could not look up the unit of flow run " + t.run.id() + " on "
                    + backend.name() + ": " + e, e), null);
            return;
        }
        boolean stopped;
        synchronized (t) {
            t.attempting = false;
            t.launch = newest == null ? null : newest.launch();
            stopped = t.stopReason != null;
        }
        if (newest == null) {
            if (stopped) {
                finish(t, State.of(t.stopAs, t.stopReason + " (before launch)"), null);
            } else {
                LOG.info("{}: flow run {} has no unit yet; launching it", backend.name(), t.run.id());
                prepareAndLaunch(t, flow);
            }
            return;
        }
        LOG.info("{}: flow run {} reattached to {} ({})", backend.name(), t.run.id(), newest.launch().id(),
                newest.status().phase());
        t.request = null;
        phase(t, RunPhase.LAUNCHED, "reattached to " + newest.launch().id());
        if (newest.status().isFinished()) {
            onStatus(t, newest.status());
        } else {
            follow(t, newest.launch());
        }
    }

    /**
     * Launches one run and waits for its end. Blocking; interrupting the calling thread cancels the run.
     */
    public FlowRunResult execute(Flow flow, FlowRun run, LaunchRequest request) {
        return execute(flow, run, request, null);
    }

    /**
     * As {@link #execute(Flow, FlowRun, LaunchRequest)}, for a run already observed by its environment (see
     * {@link #submit(Flow, FlowRun, LaunchRequest, RunObservation)}).
     */
    public FlowRunResult execute(Flow flow, FlowRun run, LaunchRequest request, RunObservation observation) {
        CompletableFuture<FlowRunResult> f = submit(flow, run, request, observation);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    run.cancellation().cancel("the thread waiting for the run was interrupted");
                } catch (CancellationException e) {
                    // cannot happen: the future is not handed to anyone else
                    throw new FlowportException("flow run " + run.id() + " on " + backend.name() + " was cancelled", e);
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

    private Tracked track(Flow flow, FlowRun submitted, LaunchRequest request, RunObservation given) {
        FlowRun run = submitted;
        if (closed) {
            throw new IllegalStateException("this lifecycle of backend " + backend.name() + " is closed");
        }
        RunObservation observation = given;
        boolean owned = false;
        if (observation == null) {
            owned = true;
            try {
                observation = instrumentation.runStarted(flow, run, environment, Map.of());
            } catch (RuntimeException e) {
                LOG.warn("flow run {}: instrumentation failed on the run's start: {}", run.id(), e.toString());
            }
            if (observation == null) {
                observation = RunObservation.NONE;
            }
            if (observation != RunObservation.NONE) {
                run = run.toBuilder().listener(run.listener().andThen(observation.listener())).build();
            }
        }
        Tracked t = new Tracked(flow.name(), run, withTraceContext(request, observation));
        t.observation = observation;
        t.ownsObservation = owned;
        return register(flow, t);
    }

    private Tracked register(Flow flow, Tracked t) {
        FlowRun run = t.run;
        inFlight.add(t);
        safely(run, "the run's start", () -> run.listener().runStarted(flow, run));
        t.cancelHook = run.cancellation().onCancel(() -> requestStop(t,
                t.timedOut ? StateType.TIMED_OUT : StateType.CANCELLED, run.cancellation().reason()));
        run.timeout().ifPresent(timeout -> t.timers.add(timers.schedule(() -> {
            t.timedOut = true;
            run.cancellation().cancel("run timed out after " + timeout);
        }, timeout.toNanos(), TimeUnit.NANOSECONDS)));
        return t;
    }

    /** The request with the run's trace context among the runner's variables. */
    private static LaunchRequest withTraceContext(LaunchRequest request, RunObservation observation) {
        Map<String, String> context;
        try {
            context = observation.traceContext();
        } catch (RuntimeException e) {
            LOG.warn("flow run {}: instrumentation failed on the trace context: {}", request.flowRunId(), e.toString());
            return request;
        }
        Map<String, String> vars = context == null ? Map.of() : RunnerSettings.traceVariables(context);
        if (vars.isEmpty()) {
            return request;
        }
        Map<String, String> env = new java.util.LinkedHashMap<>(request.environment());
        env.putAll(vars);
        return new LaunchRequest(request.flowRunId(), request.flowName(), request.command(), env, request.labels(),
                request.idempotencyToken());
    }

    private void prepareAndLaunch(Tracked t, Flow flow) {
        prepareAsync(flow).whenComplete((d, e) -> {
            if (e != null) {
                Throwable cause = unwrap(e);
                finish(t, failure("could not prepare the definition",
                        prepareFailure(flow, cause)), null);
                return;
            }
            phase(t, RunPhase.PREPARED, d.id());
            long wait = launchPacing == null ? 0 : launchPacing.reservePermit().toNanos();
            if (wait <= 0) {
                startLaunch(t, d);
            } else {
                schedule(t, () -> startLaunch(t, d), wait);
            }
        });
    }

    private void startLaunch(Tracked t, Definition d) {
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<Launch> f;
        try {
            f = Failsafe.with(retries).with(io).getAsync(() -> {
                synchronized (t) {
                    if (t.stopReason != null || t.done) {
                        throw new NotLaunched();
                    }
                    t.attempting = true;
                }
                attempts.incrementAndGet();
                try {
                    LaunchRequest request = t.request;
                    Launch l = observed(call(t, "launch"), () -> backend.launch(d, request));
                    synchronized (t) {
                        // set before the attempt ends, so that a stop request never sees neither
                        t.launch = l;
                        t.attempting = false;
                    }
                    return l;
                } catch (RuntimeException e) {
                    synchronized (t) {
                        t.attempting = false;
                        if (e instanceof TransientException) {
                            t.uncertain = true; // the answer may have been lost after the unit was created
                        }
                        if (t.stopReason != null) {
                            throw new NotLaunched();
                        }
                    }
                    if (e instanceof TransientException) {
                        LOG.debug("{}: launch of run {} failed transiently ({}); retrying", backend.name(),
                                t.run.id(), e.getMessage());
                    }
                    throw e;
                }
            });
        } catch (RejectedExecutionException e) {
            finish(t, closedBeforeLaunch(), null);
            return;
        }
        synchronized (t) {
            t.launching = f;
        }
        f.whenComplete((launch, e) -> {
            if (e == null) {
                launched(t, launch);
            } else {
                notLaunched(t, unwrap(e), attempts.get());
            }
        });
    }

    private void launched(Tracked t, Launch launch) {
        t.request = null; // the request (with its serialized environment) is not needed any more
        LOG.info("{}: flow run {} launched as {}", backend.name(), t.run.id(), launch.id());
        if (closed || t.done) {
            // close() ended the run while the launch call was under way
            if (settings.stopOnClose()) {
                stopQuietly(launch, "the environment was closed while the run was being launched");
            } else {
                LOG.warn("{}: flow run {} was launched as {} after the lifecycle was closed; it is left running",
                        backend.name(), t.run.id(), launch.id());
            }
            return;
        }
        phase(t, RunPhase.LAUNCHED, launch.id());
        follow(t, launch);
    }

    private void follow(Tracked t, Launch launch) {
        if (t.done) {
            return;
        }
        schedule(t, () -> checkStarted(t), settings.startTimeout().toNanos());
        if (poller != null) {
            poller.add(t);
        } else {
            try {
                t.watch = observed(call(t, "watch"),
                        () -> ((Observation.Watching) backend.observation()).watch(launch, s -> onStatus(t, s)));
            } catch (RuntimeException e) {
                requestStop(t, StateType.CRASHED, "could not follow the run: " + e.getMessage());
            }
            if (t.done) {
                closeQuietly(t.watch);
            }
        }
        sendStop(t); // a cancellation or timeout that came while the launch call was under way
    }

    private void notLaunched(Tracked t, Throwable e, int attempts) {
        if (e instanceof CancellationException) {
            return; // a stop request cancelled the pending retry and ended the run itself
        }
        if (e instanceof NotLaunched || e instanceof RejectedExecutionException) {
            StateType as;
            String reason;
            synchronized (t) {
                as = t.stopAs == null ? StateType.CANCELLED : t.stopAs;
                reason = t.stopReason == null ? "the lifecycle was closed" : t.stopReason;
            }
            finish(t, State.of(as, reason + " (before launch)"), null);
        } else if (e instanceof TransientException) {
            finish(t, State.failed("could not launch on " + backend.name() + " within " + settings.launchDeadline()
                    + " (" + attempts + " attempts); last error: " + e.getMessage(), e), null);
        } else if (e instanceof RuntimeException r) {
            finish(t, failure("launch refused", r), null);
        } else {
            finish(t, State.crashed("launch failed: " + e, e), null);
        }
    }

    private State failure(String what, RuntimeException e) {
        if (e instanceof LaunchException || e instanceof ConfigurationException) {
            return State.failed(what + " by " + backend.name() + ": " + e.getMessage(), e);
        }
        return State.crashed(what + ": " + e, e);
    }

    private void checkStarted(Tracked t) {
        RunStatus last = t.last;
        if (t.done || (last != null && !last.phase().isStarting())) {
            return;
        }
        requestStop(t, StateType.CRASHED, "did not start within " + settings.startTimeout()
                + (last == null ? "" : " (last status: " + last.phase() + (last.detail().isEmpty() ? "" : ", "
                + last.detail()) + ")"));
    }

    /**
     * Records why the run ends (the first reason wins) and stops its unit once it is launched. A run not launched
     * yet, and with no launch call under way, ends at once and is never launched.
     */
    private void requestStop(Tracked t, StateType as, String reason) {
        boolean endNow;
        CompletableFuture<Launch> pending;
        synchronized (t) {
            if (t.done) {
                return;
            }
            if (t.stopReason == null) {
                t.stopAs = as;
                t.stopReason = reason;
            }
            endNow = t.launch == null && !t.attempting;
            pending = t.launching;
        }
        if (endNow) {
            if (pending != null) {
                pending.cancel(false); // a retry waiting for its backoff never runs
            }
            finish(t, State.of(t.stopAs, t.stopReason + " (before launch)"), null);
            return;
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
            if (launch == null || t.stopReason == null || t.stopSent || t.done) {
                return;
            }
            t.stopSent = true;
            as = t.stopAs;
            reason = t.stopReason;
        }
        LOG.info("{}: stopping {} of flow run {}: {}", backend.name(), launch.id(), t.run.id(), reason);
        phase(t, RunPhase.STOPPING, reason);
        try {
            Failsafe.with(stopRetries).with(io).runAsync(() -> observed(call(t, "stop"), () -> {
                        backend.stop(launch, reason);
                        return null;
                    }))
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            LOG.warn("{}: could not stop {}: {}", backend.name(), launch.id(), unwrap(e).toString());
                        } else if (poller != null) {
                            poller.soon(); // the platform took the stop: look again soon
                        }
                    });
        } catch (RejectedExecutionException e) {
            LOG.warn("{}: could not stop {}: the lifecycle is closed", backend.name(), launch.id());
        }
        schedule(t, () -> finish(t, State.of(as, reason + " (the platform did not confirm the stop within "
                + settings.stopTimeout() + ")"), launch), settings.stopTimeout().toNanos());
        if (poller != null) {
            poller.soon();
        }
    }

    private void onStatus(Tracked t, RunStatus s) {
        t.last = s;
        t.missing = 0;
        t.failingSince = 0;
        if (!s.isFinished()) {
            phase(t, switch (s.phase()) {
                case PROVISIONING -> RunPhase.PROVISIONING;
                case PENDING -> RunPhase.PENDING;
                case RUNNING -> RunPhase.RUNNING;
                default -> RunPhase.STOPPING;
            }, s.detail());
            return;
        }
        State state = s.state();
        StateType stopAs = t.stopAs;
        if (stopAs != null && !(stopAs == StateType.CANCELLED && state.isSuccess())) {
            state = new State(stopAs, t.stopReason + (s.detail().isEmpty() ? "" : "; " + s.detail()), state.cause());
        }
        finish(t, state, t.launch);
    }

    private void onMissing(Tracked t) {
        if (++t.missing >= settings.missingPollsBeforeCrash()) {
            finish(t, State.crashed(backend.name() + " no longer knows " + t.launch.id() + " (not found in "
                    + t.missing + " status reads)", null), t.launch);
        }
    }

    /** Ends the run once: stops following it, then reads its logs on the I/O pool and completes its future. */
    private void finish(Tracked t, State state, Launch launch) {
        boolean strays;
        synchronized (t) {
            if (t.done) {
                return;
            }
            t.done = true;
            strays = launch == null && t.uncertain;
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
        if (strays) {
            execute(io, () -> stopStrays(t), () -> { });
        }
        if (launch == null) {
            complete(t, state, RunLogs.NONE);
        } else {
            execute(io, () -> {
                RunLogs logs = logsOf(t, launch);
                complete(t, withReport(t, state, logs), logs);
            }, () -> complete(t, state, RunLogs.NONE));
        }
    }

    private RunLogs logsOf(Tracked t, Launch launch) {
        try {
            return observed(call(t, "logs"), () -> backend.logs(launch));
        } catch (RuntimeException e) {
            LOG.debug("{}: no logs for {}: {}", backend.name(), launch.id(), e.toString());
            return RunLogs.NONE;
        }
    }

    /**
     * Adds what the runner inside the unit reported (which task failed and why) to a failure the platform only
     * knows by its exit code. Reads the tail of failed runs' logs only.
     */
    private State withReport(Tracked t, State state, RunLogs logs) {
        if (state.type() != StateType.FAILED || t.stopAs != null) {
            return state;
        }
        try {
            return RunnerSettings.reportedState(observed(call(t, "logs"), () -> logs.tail(REPORT_LINES)))
                    .map(r -> new State(state.type(), state.message() + "; the runner reported: " + r, state.cause()))
                    .orElse(state);
        } catch (RuntimeException e) {
            LOG.debug("{}: could not read the runner's report: {}", backend.name(), e.toString());
            return state;
        }
    }

    private void complete(Tracked t, State state, RunLogs logs) {
        phase(t, RunPhase.FINISHED, state.toString());
        List<PhaseChange> phases;
        synchronized (t) {
            phases = List.copyOf(t.phases);
        }
        FlowRunResult ended = FlowRunResult.of(t.run.id(), t.flowName, state, t.submittedAt).withLogs(logs)
                .withPhases(phases);
        FlowRunResult left = t.leftRunning == null ? ended : ended.withDetail(UNIT_LEFT_RUNNING, t.leftRunning);
        // a run submitted without an environment's execute, which would add the resolved parameters
        FlowRunResult result = t.ownsObservation ? left.withDetail(FlowRunResult.PARAMETERS, t.run.parameters())
                : left;
        LOG.info("{}: flow run {} ended: {}", backend.name(), t.run.id(), state);
        safely(t.run, "the run's end", () -> t.run.listener().runFinished(result));
        if (t.ownsObservation) {
            try {
                t.observation.finished(result);
            } catch (RuntimeException e) {
                LOG.warn("flow run {}: instrumentation failed on the run's end: {}", t.run.id(), e.toString());
            }
        }
        t.result.complete(result);
    }

    /**
     * After a launch whose answer may have been lost and that will not be retried (the run was cancelled): stops
     * any unit that was started for the run after all.
     */
    private void stopStrays(Tracked t) {
        try {
            for (Backend.Found f : observed(call(t, "find"),
                    () -> backend.find(Map.of(Labels.FLOW_RUN_ID, Labels.safeValue(t.run.id()))))) {
                if (!f.status().isFinished()) {
                    LOG.info("{}: stopping {} of cancelled flow run {}, launched although its answer was lost",
                            backend.name(), f.launch().id(), t.run.id());
                    stopQuietly(f.launch(), "the run was cancelled while its launch was retried");
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: could not check whether cancelled flow run {} left a unit: {}", backend.name(),
                    t.run.id(), e.toString());
        }
    }

    private void stopQuietly(Launch launch, String reason) {
        try {
            backend.stop(launch, reason);
        } catch (RuntimeException e) {
            LOG.warn("{}: could not stop {}: {}", backend.name(), launch.id(), e.toString());
        }
    }

    /** Records and announces a phase change; repeated phases and changes after the end are ignored. */
    private void phase(Tracked t, RunPhase phase, String detail) {
        PhaseChange change;
        synchronized (t) {
            if (t.phase == phase || t.phase == RunPhase.FINISHED || (t.done && phase != RunPhase.FINISHED)) {
                return;
            }
            t.phase = phase;
            change = new PhaseChange(phase, Instant.now(), detail);
            t.phases.add(change);
        }
        LOG.debug("{}: flow run {} -> {} {}", backend.name(), t.run.id(), phase, detail);
        safely(t.run, "phase " + phase, () -> t.run.listener().runPhaseChanged(t.run, change));
    }

    private static void safely(FlowRun run, String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            // a broken listener must neither fail the run nor stall the lifecycle
            LOG.warn("flow run {}: listener failed on {}: {}", run.id(), what, e.toString());
        }
    }

    private void schedule(Tracked t, Runnable task, long delayNanos) {
        try {
            t.timers.add(timers.schedule(task, delayNanos, TimeUnit.NANOSECONDS));
        } catch (RejectedExecutionException e) {
            LOG.debug("{}: timer not set, the lifecycle is closed", backend.name());
        }
    }

    private static void execute(ThreadPoolExecutor pool, Runnable task, Runnable ifRejected) {
        try {
            pool.execute(task);
        } catch (RejectedExecutionException e) {
            ifRejected.run();
        }
    }

    private static State closedBeforeLaunch() {
        return State.cancelled("the environment was closed before the run was launched; nothing was started");
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
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

    /**
     * Stops following and ends every run in flight at once, so that no caller waits forever: a launched run ends
     * {@code Crashed} with the unit it left running (it carries its labels and can be found and resumed), or —
     * with {@link Settings#stopOnClose()} — its unit is stopped (waiting at most the stop timeout) and it ends
     * {@code Cancelled}. A run not launched yet ends {@code Cancelled} and is never launched.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (poller != null) {
            poller.stop();
        }
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        List<Runnable> endings = new ArrayList<>();
        for (Tracked t : List.copyOf(inFlight)) {
            Launch launch;
            boolean attempting;
            synchronized (t) {
                launch = t.launch;
                attempting = t.attempting;
            }
            State state;
            if (launch != null && settings.stopOnClose()) {
                stops.add(CompletableFuture.runAsync(() -> stopQuietly(launch, "the environment was closed"), io));
                state = State.cancelled("the environment was closed; " + launch.id() + " was stopped");
            } else if (launch != null) {
                t.leftRunning = launch.id();
                state = State.crashed("the environment was closed while the run was in flight; " + launch.id()
                        + " was left running (find it by the label " + Labels.FLOW_RUN_ID + "="
                        + Labels.safeValue(t.run.id()) + ")", null);
            } else if (attempting) {
                state = State.crashed("the environment was closed while the launch call was under way; a unit it"
                        + " started carries the label " + Labels.FLOW_RUN_ID + "=" + Labels.safeValue(t.run.id())
                        + (settings.stopOnClose() ? " and is stopped" : " and is left running"), null);
            } else {
                state = closedBeforeLaunch();
            }
            endings.add(() -> finishClosed(t, state));
        }
        if (!stops.isEmpty()) {
            try {
                CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new))
                        .get(settings.stopTimeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("{}: not every stop was confirmed on close: {}", backend.name(), e.toString());
            }
        }
        endings.forEach(Runnable::run);
        timers.shutdownNow();
        io.shutdown();
    }

    private void finishClosed(Tracked t, State state) {
        synchronized (t) {
            if (t.done) {
                return;
            }
            t.done = true;
        }
        inFlight.remove(t);
        closeQuietly(t.watch);
        closeQuietly(t.cancelHook);
        CompletableFuture<Launch> pending = t.launching;
        if (pending != null) {
            pending.cancel(false);
        }
        complete(t, state, RunLogs.NONE);
    }

    /** Thrown inside a launch attempt that must not run because the run is being stopped. */
    private static final class NotLaunched extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotLaunched() {
            super("not launched", null, false, false);
        }
    }

    /** The future handed to callers: cancelling it cancels the run (and stops its unit). */
    private static final class RunFuture extends CompletableFuture<FlowRunResult> {
        private final FlowRun run;

        RunFuture(FlowRun run) {
            this.run = run;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                run.cancellation().cancel("the future of the run was cancelled");
            }
            return cancelled;
        }
    }

    /** One run being launched or followed. Kept small: thousands may be in flight. */
    private static final class Tracked {
        final String flowName;
        final FlowRun run;
        final Instant submittedAt = Instant.now();
        /** Completed by the lifecycle, exactly once. */
        final CompletableFuture<FlowRunResult> result = new CompletableFuture<>();
        final RunFuture handedOut;
        final List<ScheduledFuture<?>> timers = new CopyOnWriteArrayList<>();
        final List<PhaseChange> phases = new ArrayList<>(6);
        volatile LaunchRequest request;
        volatile Launch launch;
        volatile RunStatus last;
        volatile StateType stopAs;
        volatile String stopReason;
        volatile boolean timedOut;
        volatile boolean done;
        volatile String leftRunning;
        volatile AutoCloseable watch;
        volatile AutoCloseable cancelHook;
        volatile CompletableFuture<Launch> launching;
        volatile boolean stopSent;
        /** Observes the run for metrics and traces; finished here when {@link #ownsObservation}. */
        RunObservation observation = RunObservation.NONE;
        boolean ownsObservation;
        boolean attempting;
        boolean uncertain;
        RunPhase phase;
        int missing;
        long failingSince;

        Tracked(String flowName, FlowRun run, LaunchRequest request) {
            this.flowName = flowName;
            this.run = run;
            this.request = request;
            this.handedOut = new RunFuture(run);
            result.whenComplete((r, e) -> {
                if (e == null) {
                    handedOut.complete(r);
                } else {
                    handedOut.completeExceptionally(e);
                }
            });
        }
    }

    /**
     * One thread that reads the status of every followed run in batches: never faster than the backend's read
     * rate (reads spaced by 1/rate), and every {@link Settings#minPollInterval()} while statuses change, doubling up to
     * {@link Settings#maxPollInterval()} while they do not. New runs and stop requests bring the next poll
     * forward to at most the minimum interval after the last one, once — they never add polls.
     */
    private final class Poller {
        private final Observation.Polling polling;
        /** Least time between the starts of two status reads. */
        private final long readSpacing;
        private long lastRead = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
        private final Set<Tracked> followed = ConcurrentHashMap.newKeySet();
        private final Object signal = new Object();
        private final long minInterval = settings.minPollInterval().toNanos();
        private Thread thread;
        private volatile boolean running = true;
        // guarded by signal
        private long lastPollStart = System.nanoTime() - minInterval;
        private long nextPollAt = Long.MAX_VALUE;
        private boolean soon;
        // poller thread only
        private boolean failing;

        Poller(Observation.Polling polling) {
            this.polling = polling;
            double rate = settings.statusReadsPerSecond() > 0 ? settings.statusReadsPerSecond()
                    : polling.readsPerSecond();
            this.readSpacing = interval(rate).toNanos();
        }

        void add(Tracked t) {
            followed.add(t);
            soon();
            synchronized (signal) {
                if (thread == null && running) {
                    thread = new Thread(this::loop, "flowport-" + backend.name() + "-poller");
                    thread.setDaemon(true);
                    thread.start();
                }
                signal.notifyAll(); // an idle poller waits without a deadline; this only makes it look at nextPollAt
            }
        }

        void remove(Tracked t) {
            followed.remove(t);
        }

        /** Brings the next poll forward to the minimum interval after the last one. */
        void soon() {
            synchronized (signal) {
                soon = true;
                long at = lastPollStart + minInterval;
                if (at - nextPollAt < 0) {
                    nextPollAt = at;
                    signal.notifyAll();
                }
            }
        }

        void stop() {
            synchronized (signal) {
                running = false;
                signal.notifyAll();
                if (thread != null) {
                    thread.interrupt();
                }
            }
        }

        private void loop() {
            long interval = minInterval;
            try {
                while (running) {
                    synchronized (signal) {
                        while (running && (followed.isEmpty() || System.nanoTime() - nextPollAt < 0)) {
                            if (followed.isEmpty()) {
                                signal.wait();
                            } else {
                                TimeUnit.NANOSECONDS.timedWait(signal, nextPollAt - System.nanoTime());
                            }
                        }
                        if (!running) {
                            return;
                        }
                        lastPollStart = System.nanoTime();
                        soon = false;
                    }
                    boolean changed = pollAll(new ArrayList<>(followed));
                    synchronized (signal) {
                        interval = changed || soon ? minInterval
                                : Math.min(settings.maxPollInterval().toNanos(), interval * 2);
                        nextPollAt = lastPollStart + interval;
                    }
                }
            } catch (InterruptedException e) {
                // closing
            }
        }

        /**
         * Reads the status of every run; true when the next poll should come soon: a status changed, or a run is
         * being stopped (its end is near and its caller waits for it).
         */
        private boolean pollAll(List<Tracked> all) throws InterruptedException {
            boolean changed = false;
            boolean anyFailed = false;
            int max = Math.max(1, polling.maxBatch());
            for (int from = 0; from < all.size() && running; from += max) {
                List<Tracked> batch = new ArrayList<>(max);
                for (Tracked t : all.subList(from, Math.min(all.size(), from + max))) {
                    if (t.done) {
                        followed.remove(t); // ended while it was being added
                    } else {
                        batch.add(t);
                    }
                }
                if (batch.isEmpty()) {
                    continue;
                }
                List<Launch> launches = new ArrayList<>(batch.size());
                for (Tracked t : batch) {
                    launches.add(t.launch);
                }
                awaitReadSlot();
                Map<String, RunStatus> statuses;
                try {
                    statuses = observed(call("describe"), () -> polling.describe(launches));
                } catch (RuntimeException e) {
                    anyFailed = true;
                    readFailed(batch, e);
                    continue;
                }
                for (Tracked t : batch) {
                    if (t.stopSent) {
                        changed = true;
                    }
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
            if (failing && !anyFailed && !all.isEmpty()) {
                failing = false;
                LOG.info("{}: status reads work again", backend.name());
            }
            return changed;
        }

        /**
         * Waits until the read rate allows the next read. Reads are spaced by at least 1/rate, measured from the
         * start of the previous one, so that any second holds at most rate + 1 of them, however late a read was.
         */
        private void awaitReadSlot() throws InterruptedException {
            long wait = lastRead + readSpacing - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            lastRead = System.nanoTime();
        }

        /** Status reads that fail for longer than the deadline end their runs Crashed; one WARN per episode. */
        private void readFailed(List<Tracked> batch, RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("{}: status read of {} runs failed: {}; runs whose status cannot be read for {} end Crashed",
                        backend.name(), batch.size(), e.toString(), settings.statusFailureDeadline());
            } else {
                LOG.debug("{}: status read of {} runs failed again: {}", backend.name(), batch.size(), e.toString());
            }
            long now = System.nanoTime();
            long deadline = settings.statusFailureDeadline().toNanos();
            for (Tracked t : batch) {
                if (t.failingSince == 0) {
                    t.failingSince = now;
                } else if (now - t.failingSince >= deadline) {
                    t.leftRunning = t.launch.id();
                    finish(t, State.crashed("could not read the status of " + t.launch.id() + " from "
                            + backend.name() + " for " + settings.statusFailureDeadline() + "; last error: "
                            + e.getMessage(), e), t.launch);
                }
            }
        }
    }

    /**
     * Tuning of the lifecycle. Build with {@link #builder()} or start from {@link #defaults()}.
     *
     * @param launchDeadline          total time for launch retries (throttling, 5xx)
     * @param startTimeout            a run still provisioning or pending after this is stopped and Crashed
     * @param stopTimeout             how long to wait for the platform to confirm a stop
     * @param minPollInterval         poll interval while statuses change
     * @param maxPollInterval         poll interval when nothing changes (doubling up to this)
     * @param missingPollsBeforeCrash a run absent from this many status reads in a row is Crashed
     * @param launchesPerSecond       client-side pacing of launches (0 = none); keeps bursts under a quota
     * @param backoff                 retry delays
     * @param threads                 threads of the I/O pool: definitions, launches, stops, log reads (no thread
     *                                is held per run)
     * @param statusReadsPerSecond    most batched status calls per second (0 = the backend's
     *                                {@link Observation.Polling#readsPerSecond()})
     * @param statusFailureDeadline   a run whose status reads keep failing this long ends Crashed
     * @param stopOnClose             whether {@link BackendLifecycle#close()} stops the units of runs in flight
     *                                (default: they are left running, to be found and resumed by label)
     */
    public record Settings(Duration launchDeadline, Duration startTimeout, Duration stopTimeout,
                           Duration minPollInterval, Duration maxPollInterval, int missingPollsBeforeCrash,
                           double launchesPerSecond, Backoff backoff, int threads, double statusReadsPerSecond,
                           Duration statusFailureDeadline, boolean stopOnClose) {

        /** Validates every setting and reports all problems in one {@link ConfigurationException}. */
        public Settings {
            List<String> problems = new ArrayList<>();
            positive(launchDeadline, "launchDeadline", problems);
            positive(startTimeout, "startTimeout", problems);
            positive(stopTimeout, "stopTimeout", problems);
            positive(minPollInterval, "minPollInterval", problems);
            positive(maxPollInterval, "maxPollInterval", problems);
            positive(statusFailureDeadline, "statusFailureDeadline", problems);
            if (minPollInterval != null && maxPollInterval != null && maxPollInterval.compareTo(minPollInterval) < 0) {
                problems.add("maxPollInterval (" + maxPollInterval + ") must be >= minPollInterval ("
                        + minPollInterval + ")");
            }
            if (missingPollsBeforeCrash < 1) {
                problems.add("missingPollsBeforeCrash must be >= 1, was " + missingPollsBeforeCrash);
            }
            if (!(launchesPerSecond >= 0) || Double.isInfinite(launchesPerSecond)) {
                problems.add("launchesPerSecond must be >= 0 (0 = unpaced), was " + launchesPerSecond);
            }
            if (!(statusReadsPerSecond >= 0) || Double.isInfinite(statusReadsPerSecond)) {
                problems.add("statusReadsPerSecond must be >= 0 (0 = the backend's documented rate), was "
                        + statusReadsPerSecond);
            }
            if (threads < 1) {
                problems.add("threads must be >= 1, was " + threads);
            }
            if (backoff == null) {
                problems.add("backoff is required");
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException("BackendLifecycle.Settings", problems);
            }
        }

        private static void positive(Duration d, String name, List<String> problems) {
            if (d == null || d.isZero() || d.isNegative()) {
                problems.add(name + " must be a positive duration, was " + d);
            }
        }

        /**
         * Defaults for a cloud platform: 5 min launch deadline, 10 min start timeout, 2 min stop timeout, polls
         * every 2 s – 30 s at the backend's read rate, status reads failing for 5 min crash the run, 4 I/O threads.
         */
        public static Settings defaults() {
            return new Settings(Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(2),
                    Duration.ofSeconds(2), Duration.ofSeconds(30), 3, 0,
                    new Backoff(Duration.ofMillis(200), Duration.ofSeconds(20)), 4, 0, Duration.ofMinutes(5),
                    false);
        }

        /** A builder starting from {@link #defaults()}. */
        public static Builder builder() {
            return defaults().toBuilder();
        }

        /** A builder holding these settings. */
        public Builder toBuilder() {
            return new Builder(this);
        }

        /** A copy with other poll intervals. */
        public Settings withPollIntervals(Duration min, Duration max) {
            return toBuilder().pollIntervals(min, max).build();
        }

        /** A copy with another start timeout. */
        public Settings withStartTimeout(Duration timeout) {
            return toBuilder().startTimeout(timeout).build();
        }

        /** A copy with another launch deadline and backoff. */
        public Settings withLaunchRetries(Duration deadline, Backoff retryBackoff) {
            return toBuilder().launchDeadline(deadline).backoff(retryBackoff).build();
        }

        /** A copy with client-side launch pacing. */
        public Settings withLaunchesPerSecond(double rate) {
            return toBuilder().launchesPerSecond(rate).build();
        }

        /** A copy with another number of I/O threads. */
        public Settings withThreads(int count) {
            return toBuilder().threads(count).build();
        }

        /** A copy with another stop timeout. */
        public Settings withStopTimeout(Duration timeout) {
            return toBuilder().stopTimeout(timeout).build();
        }

        /** Builds {@link Settings}; {@link #build()} validates. */
        public static final class Builder {
            private Duration launchDeadline;
            private Duration startTimeout;
            private Duration stopTimeout;
            private Duration minPollInterval;
            private Duration maxPollInterval;
            private int missingPollsBeforeCrash;
            private double launchesPerSecond;
            private Backoff backoff;
            private int threads;
            private double statusReadsPerSecond;
            private Duration statusFailureDeadline;
            private boolean stopOnClose;

            private Builder(Settings s) {
                launchDeadline = s.launchDeadline;
                startTimeout = s.startTimeout;
                stopTimeout = s.stopTimeout;
                minPollInterval = s.minPollInterval;
                maxPollInterval = s.maxPollInterval;
                missingPollsBeforeCrash = s.missingPollsBeforeCrash;
                launchesPerSecond = s.launchesPerSecond;
                backoff = s.backoff;
                threads = s.threads;
                statusReadsPerSecond = s.statusReadsPerSecond;
                statusFailureDeadline = s.statusFailureDeadline;
                stopOnClose = s.stopOnClose;
            }

            /** Total time for launch retries. */
            public Builder launchDeadline(Duration value) {
                launchDeadline = value;
                return this;
            }

            /** A run still provisioning or pending after this is stopped and Crashed. */
            public Builder startTimeout(Duration value) {
                startTimeout = value;
                return this;
            }

            /** How long to wait for the platform to confirm a stop. */
            public Builder stopTimeout(Duration value) {
                stopTimeout = value;
                return this;
            }

            /** Poll interval while statuses change, and the longest one while they do not. */
            public Builder pollIntervals(Duration min, Duration max) {
                minPollInterval = min;
                maxPollInterval = max;
                return this;
            }

            /** A run absent from this many status reads in a row is Crashed. */
            public Builder missingPollsBeforeCrash(int value) {
                missingPollsBeforeCrash = value;
                return this;
            }

            /** Client-side pacing of launches (0 = none). */
            public Builder launchesPerSecond(double value) {
                launchesPerSecond = value;
                return this;
            }

            /** Retry delays. */
            public Builder backoff(Backoff value) {
                backoff = value;
                return this;
            }

            /** Threads of the I/O pool. */
            public Builder threads(int value) {
                threads = value;
                return this;
            }

            /** Most batched status calls per second (0 = the backend's documented rate). */
            public Builder statusReadsPerSecond(double value) {
                statusReadsPerSecond = value;
                return this;
            }

            /** A run whose status reads keep failing this long ends Crashed. */
            public Builder statusFailureDeadline(Duration value) {
                statusFailureDeadline = value;
                return this;
            }

            /** Whether closing stops the units of runs in flight. */
            public Builder stopOnClose(boolean value) {
                stopOnClose = value;
                return this;
            }

            /**
             * The settings.
             *
             * @throws ConfigurationException listing every invalid setting
             */
            public Settings build() {
                return new Settings(launchDeadline, startTimeout, stopTimeout, minPollInterval, maxPollInterval,
                        missingPollsBeforeCrash, launchesPerSecond, backoff, threads, statusReadsPerSecond,
                        statusFailureDeadline, stopOnClose);
            }
        }
    }
}
