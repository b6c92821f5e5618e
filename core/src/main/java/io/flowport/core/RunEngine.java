package io.flowport.core;

import io.flowport.core.internal.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The state of one flow run while an executor drives it: per-task states, results and timings in arrays
 * indexed by topological position, and the logic to run one task (retries, timeout, cancellation). The
 * executors only decide <em>when</em> and <em>where</em> each task runs.
 */
final class RunEngine {

    private static final Logger LOG = LoggerFactory.getLogger(RunEngine.class);
    private static final State RUNNING = State.running();
    private static final State SUCCESS = State.success("");
    private static final State NEVER_SCHEDULED = State.cancelled("never scheduled");

    /** One daemon thread for all timeouts of all runs in the process. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flowport-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Flow flow;
    private final FlowRun run;
    private final Map<String, Object> parameters;
    private final List<TaskSpec> tasks;
    private final int n;
    private final State[] states;
    private final Object[] results;
    private final int[] attempts;
    private final long[] durations;
    private final AtomicReferenceArray<Thread> running;
    private final FlowRunListener listener;
    private final boolean notify;
    private volatile boolean timedOut;
    private final Instant startedAt = Instant.now();
    private final long startNanos = System.nanoTime();

    RunEngine(Flow flow, FlowRun run) {
        this.flow = flow;
        this.run = run;
        this.parameters = flow.resolveParameters(run.parameters());
        this.tasks = flow.tasks();
        this.n = tasks.size();
        this.states = new State[n];
        this.results = new Object[n];
        this.attempts = new int[n];
        this.durations = new long[n];
        this.running = new AtomicReferenceArray<>(n);
        this.listener = run.listener();
        this.notify = listener != FlowRunListener.NONE;
    }

    FlowRunResult runSequentially() {
        return drive(() -> {
            for (int i = 0; i < n; i++) {
                states[i] = runOrSkip(i);
            }
        });
    }

    FlowRunResult runInParallel(int threads) {
        return drive(() -> new ParallelRun(Math.max(1, Math.min(threads, Math.max(1, n)))).run());
    }

    private FlowRunResult drive(Runnable body) {
        if (notify) {
            listener.runStarted(flow, run);
        }
        AutoCloseable cancelHook = run.cancellation().onCancel(this::interruptRunning);
        ScheduledFuture<?> runTimeout = run.timeout().map(t -> WATCHDOG.schedule(() -> {
            timedOut = true;
            run.cancellation().cancel("run timed out after " + t);
        }, t.toNanos(), TimeUnit.NANOSECONDS)).orElse(null);
        try {
            body.run();
        } finally {
            if (runTimeout != null) {
                runTimeout.cancel(false);
            }
            try {
                cancelHook.close();
            } catch (Exception e) {
                LOG.debug("could not remove cancel hook", e);
            }
        }
        FlowRunResult result = result();
        if (notify) {
            try {
                listener.runFinished(result);
            } catch (RuntimeException e) {
                LOG.warn("flow run {}: listener failed on the run's end: {}", run.id(), e.toString());
            }
        }
        return result;
    }

    private void interruptRunning() {
        for (int i = 0; i < n; i++) {
            Thread t = running.get(i);
            if (t != null) {
                t.interrupt();
            }
        }
    }

    /** Runs task {@code i}, or marks it Skipped/Cancelled without running it. Never throws. */
    State runOrSkip(int i) {
        for (int u : flow.upstreamOf(i)) {
            State us = states[u];
            if (us == null || !us.isSuccess()) {
                String why = us == null ? "did not run" : switch (us.type()) {
                    case FAILED -> "failed";
                    case TIMED_OUT -> "timed out";
                    case CRASHED -> "crashed";
                    case SKIPPED -> "was skipped";
                    case CANCELLED -> "was cancelled";
                    default -> "ended " + us.type().displayName();
                };
                State s = run.cancellation().isCancelled()
                        ? State.cancelled(run.cancellation().reason())
                        : State.of(StateType.SKIPPED, "upstream task '" + tasks.get(u).name() + "' " + why);
                announce(i, s);
                return s;
            }
        }
        State s;
        try {
            s = runTask(i);
        } catch (Throwable t) { // a bug in the engine itself must not hang the run
            s = State.crashed("task '" + tasks.get(i).name() + "' crashed: " + t, t);
        }
        announce(i, s);
        return s;
    }

    private void announce(int i, State s) {
        if (notify) {
            try {
                listener.taskStateChanged(run, tasks.get(i), s);
            } catch (RuntimeException e) {
                // a broken listener must neither fail the task nor stall the scheduling of its successors
                LOG.warn("flow run {}: listener failed on task '{}' -> {}: {}", run.id(), tasks.get(i).name(), s,
                        e.toString());
            }
        }
    }

    private State runTask(int i) {
        TaskSpec task = tasks.get(i);
        if (run.cancellation().isCancelled()) {
            return State.cancelled(run.cancellation().reason());
        }
        long t0 = System.nanoTime();
        announce(i, RUNNING);
        State last = null;
        int maxAttempts = task.retries() + 1;
        try {
            for (int attempt = 1; attempt <= maxAttempts; attempt++) {
                attempts[i] = attempt;
                last = attempt(i, task, attempt);
                if (last.isSuccess() || last.type() == StateType.CANCELLED || last.type() == StateType.CRASHED) {
                    return last;
                }
                if (attempt < maxAttempts) {
                    announce(i, State.of(StateType.RETRYING, "attempt " + attempt + " of " + maxAttempts + ": "
                            + last.message()));
                    if (!task.retryDelay().isZero() && !sleep(task.retryDelay())) {
                        return State.cancelled(run.cancellation().reason());
                    }
                }
            }
            return last;
        } finally {
            durations[i] = System.nanoTime() - t0;
        }
    }

    private State attempt(int i, TaskSpec task, int attempt) {
        Thread self = Thread.currentThread();
        running.set(i, self);
        // 0 = running, 1 = finished, 2 = timed out
        AtomicInteger phase = null;
        ScheduledFuture<?> timer = null;
        if (task.timeout() != null) {
            AtomicInteger p = new AtomicInteger();
            phase = p;
            timer = WATCHDOG.schedule(() -> {
                if (p.compareAndSet(0, 2)) {
                    self.interrupt();
                }
            }, task.timeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        try {
            Object value = task.function().run(new Context(i, attempt));
            if (phase != null && !phase.compareAndSet(0, 1)) {
                return timedOut(task);
            }
            results[i] = value;
            return SUCCESS;
        } catch (TaskTimeoutException e) {
            return new State(StateType.TIMED_OUT, e.getMessage(), e);
        } catch (Exception e) {
            if (phase != null && !phase.compareAndSet(0, 1)) {
                return timedOut(task);
            }
            if (run.cancellation().isCancelled()) {
                return new State(StateType.CANCELLED, run.cancellation().reason(), e);
            }
            if (e instanceof InterruptedException) {
                return new State(StateType.CANCELLED, "interrupted", e);
            }
            return State.failed(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    e);
        } catch (Error e) {
            return State.crashed(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    e);
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
            running.set(i, null);
            // an interrupt meant for this attempt must not leak into the next task on this thread
            Thread.interrupted();
        }
    }

    private State timedOut(TaskSpec task) {
        return State.timedOut("task '" + task.name() + "' timed out after " + task.timeout());
    }

    private boolean sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
            return !run.cancellation().isCancelled();
        } catch (InterruptedException e) {
            return false;
        }
    }

    private FlowRunResult result() {
        String firstProblem = null;
        int problems = 0;
        for (int i = 0; i < n; i++) {
            State s = stateOf(i);
            StateType type = s.type();
            // a task cancelled although nobody cancelled the run (an executor gave it up) did not do its work
            boolean lost = type == StateType.CANCELLED && !run.cancellation().isCancelled();
            if (type == StateType.FAILED || type == StateType.TIMED_OUT || type == StateType.CRASHED || lost) {
                problems++;
                if (firstProblem == null) {
                    firstProblem = "task '" + tasks.get(i).name() + "' " + type.displayName() + ": " + s.message();
                }
            }
        }
        State state;
        if (timedOut) {
            state = State.timedOut(run.cancellation().reason());
        } else if (run.cancellation().isCancelled()) {
            state = State.cancelled(run.cancellation().reason());
        } else if (problems > 0) {
            Throwable cause = null;
            for (int i = 0; i < n && cause == null; i++) {
                if (states[i] != null && states[i].cause() != null && !states[i].isSuccess()) {
                    cause = states[i].cause();
                }
            }
            state = State.failed(problems == 1 ? firstProblem : firstProblem + " (and " + (problems - 1) + " more)",
                    cause);
        } else {
            state = State.success(n + (n == 1 ? " task" : " tasks") + " succeeded");
        }
        return new FlowRunResult(run.id(), flow.name(), state, new TaskRuns(), startedAt,
                Duration.ofNanos(System.nanoTime() - startNanos), List.of(), RunLogs.NONE);
    }

    private State stateOf(int i) {
        return states[i] == null ? NEVER_SCHEDULED : states[i];
    }

    private TaskRun taskRun(int i) {
        return new TaskRun(tasks.get(i).name(), stateOf(i), results[i], attempts[i], Duration.ofNanos(durations[i]));
    }

    /**
     * The result's task map: a read-only view over the engine's arrays, in topological order. Building a map of
     * {@code TaskRun}s up front would, for 100,000 tasks, allocate a table large enough to go straight to the old
     * generation and make the GC copy every run's results.
     */
    private final class TaskRuns extends AbstractMap<String, TaskRun> {
        @Override
        public int size() {
            return n;
        }

        @Override
        public boolean containsKey(Object key) {
            return key instanceof String name && flow.indexOf(name) >= 0;
        }

        @Override
        public TaskRun get(Object key) {
            int i = key instanceof String name ? flow.indexOf(name) : -1;
            return i < 0 ? null : taskRun(i);
        }

        @Override
        public Set<Entry<String, TaskRun>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public int size() {
                    return n;
                }

                @Override
                public Iterator<Entry<String, TaskRun>> iterator() {
                    return new Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < n;
                        }

                        @Override
                        public Entry<String, TaskRun> next() {
                            if (next >= n) {
                                throw new NoSuchElementException();
                            }
                            int i = next++;
                            return new SimpleImmutableEntry<>(tasks.get(i).name(), taskRun(i));
                        }
                    };
                }
            };
        }
    }

    /** Dependency counting on a bounded pool; a finished task continues with one ready successor inline. */
    private final class ParallelRun {
        private final int threads;
        private final AtomicIntegerArray remaining = new AtomicIntegerArray(n);
        private final AtomicInteger finished = new AtomicInteger();
        private final CountDownLatch done = new CountDownLatch(1);
        private ThreadPoolExecutor pool;

        ParallelRun(int threads) {
            this.threads = threads;
        }

        void run() {
            if (n == 0) {
                return;
            }
            AtomicInteger seq = new AtomicInteger();
            pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                    r -> {
                        Thread t = new Thread(r, "flowport-" + flow.name() + "-" + seq.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            try {
                for (int i = 0; i < n; i++) {
                    remaining.set(i, flow.upstreamOf(i).length);
                }
                for (int i = 0; i < n; i++) {
                    if (flow.upstreamOf(i).length == 0) {
                        submit(i);
                    }
                }
                awaitDone();
            } finally {
                pool.shutdownNow();
            }
        }

        private void awaitDone() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    // the caller was interrupted: cancel the run, then wait for the tasks to wind down
                    interrupted = true;
                    run.cancellation().cancel("the thread waiting for the run was interrupted");
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void submit(int i) {
            pool.execute(() -> work(i));
        }

        private void work(int first) {
            int i = first;
            while (i >= 0) {
                states[i] = runOrSkip(i);
                int next = -1;
                for (int d : flow.downstreamOf(i)) {
                    if (remaining.decrementAndGet(d) == 0) {
                        if (next < 0) {
                            next = d;
                        } else {
                            submit(d);
                        }
                    }
                }
                if (finished.incrementAndGet() == n) {
                    done.countDown();
                }
                i = next;
            }
        }
    }

    /** The view a task body gets of its run. */
    private final class Context implements TaskContext {
        private final int index;
        private final int attempt;

        Context(int index, int attempt) {
            this.index = index;
            this.attempt = attempt;
        }

        @Override
        public String flowRunId() {
            return run.id();
        }

        @Override
        public String flowName() {
            return flow.name();
        }

        @Override
        public String taskName() {
            return tasks.get(index).name();
        }

        @Override
        public int attempt() {
            return attempt;
        }

        @Override
        public Map<String, Object> parameters() {
            return parameters;
        }

        @Override
        public <T> T parameter(String name, Class<T> type) {
            if (!parameters.containsKey(name)) {
                throw new ConfigurationException("task '" + taskName() + "' asked for parameter '" + name
                        + "', which flow '" + flow.name() + "' does not declare; declared: " + parameters.keySet());
            }
            return Json.convert(parameters.get(name), type);
        }

        @Override
        public Object upstream(String task) {
            for (int u : flow.upstreamOf(index)) {
                if (tasks.get(u).name().equals(task)) {
                    return results[u];
                }
            }
            throw new ConfigurationException("task '" + taskName() + "' asked for the result of '" + task
                    + "', which is not one of its upstream tasks " + tasks.get(index).upstream());
        }

        @Override
        public Map<String, Object> upstreamResults() {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int u : flow.upstreamOf(index)) {
                m.put(tasks.get(u).name(), results[u]);
            }
            return m;
        }

        @Override
        public boolean isCancelled() {
            return run.cancellation().isCancelled();
        }
    }
}
