package io.flowport.agent.internal;

import io.flowport.agent.RunQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Writes an agent's state transitions to the queue in batches, in the order they happened, from one thread: many
 * runs changing state at once cost one transaction, not one each. A batch that fails is tried again (in order)
 * until it goes through or the recorder is closed. Transitions the queue refuses (the run was taken over) are
 * reported. Not public API.
 */
public final class Recorder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);
    private static final int MAX_BATCH = 1000;

    private final RunQueue queue;
    private final long intervalNanos;
    private final Consumer<Set<String>> onRefused;
    private final LinkedBlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final Object idle = new Object();
    private volatile boolean running = true;
    /** Transitions added and not yet written (or given up); guarded by {@code idle}. */
    private long outstanding;

    /**
     * A recorder writing to {@code queue} at most every {@code interval} while transitions trickle in (at once when
     * many wait).
     */
    public Recorder(RunQueue queue, Duration interval, Consumer<Set<String>> onRefused, String name) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.intervalNanos = interval.toNanos();
        this.onRefused = onRefused;
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues a transition; the future says whether the queue applied it (false: refused, the run was taken over). */
    public CompletableFuture<Boolean> add(RunQueue.Transition t) {
        Pending p = new Pending(t, new CompletableFuture<>());
        synchronized (idle) {
            outstanding++;
        }
        pending.add(p);
        return p.done;
    }

    /** Waits until every transition queued so far was written (or {@code timeout} passed). */
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (outstanding > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        }
        return true;
    }

    /** How many transitions wait to be written. */
    public int backlog() {
        return pending.size();
    }

    private void loop() {
        List<Pending> batch = new ArrayList<>();
        long backoff = 0;
        while (running || !pending.isEmpty()) {
            try {
                if (batch.isEmpty()) {
                    Pending first = pending.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    if (pending.size() < MAX_BATCH && running) {
                        // let a burst gather: one transaction for all of it
                        TimeUnit.NANOSECONDS.sleep(intervalNanos);
                    }
                    pending.drainTo(batch, MAX_BATCH - batch.size());
                }
                List<RunQueue.Transition> ts = new ArrayList<>(batch.size());
                batch.forEach(p -> ts.add(p.transition));
                Set<String> refused;
                try {
                    refused = queue.record(ts);
                } catch (RuntimeException e) {
                    if (!running) {
                        LOG.warn("could not record {} state transition(s) while closing: {}", batch.size(),
                                e.getMessage());
                        batch.forEach(p -> p.done.complete(false));
                        done(batch.size());
                        batch.clear();
                        continue;
                    }
                    backoff = backoff == 0 ? 200 : Math.min(10_000, backoff * 2);
                    LOG.warn("could not record {} state transition(s); trying again in {} ms: {}", batch.size(), backoff,
                            e.getMessage());
                    TimeUnit.MILLISECONDS.sleep(backoff);
                    continue;
                }
                backoff = 0;
                for (Pending p : batch) {
                    p.done.complete(!refused.contains(p.transition.runId()));
                }
                done(batch.size());
                batch.clear();
                if (!refused.isEmpty() && onRefused != null) {
                    onRefused.accept(refused);
                }
            } catch (InterruptedException e) {
                // closing: the loop writes what is left once more, then ends
                running = false;
            }
        }
        batch.forEach(p -> p.done.complete(false));
        done(batch.size());
    }

    private void done(int count) {
        synchronized (idle) {
            outstanding -= count;
            idle.notifyAll();
        }
    }

    /** Writes what is queued (waiting at most {@code timeout}), then stops. */
    public void close(Duration timeout) {
        try {
            flush(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running = false;
        try {
            thread.join(timeout.toMillis() + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = 0;
        for (Pending p; (p = pending.poll()) != null; left++) {
            p.done.complete(false);
        }
        done(left);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    private record Pending(RunQueue.Transition transition, CompletableFuture<Boolean> done) {
    }
}
