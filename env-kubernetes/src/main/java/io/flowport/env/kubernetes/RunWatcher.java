package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Follows runs with two watches per namespace, whatever the number of runs: one on the Jobs and one on the pods
 * that carry {@code flowport.io/managed-by=flowport}. Each event updates the followed run's Job or pods, and a
 * changed {@link RunStatus} goes to the run's listeners.
 *
 * <p>When a watch closes with an error, including HTTP 410 Gone ("too old resource version") or exhausted
 * reconnects, both watches are started again (immediately the first time, then with jittered backoff) and every
 * followed run is read again, so that a change or a deletion missed while disconnected is not lost. fabric8
 * reconnects by itself when the server merely ends a watch.
 *
 * <p>All state is confined to one thread; watch callbacks only hand events to it, so blocking calls (reading
 * pods at the end of a run, pod events of a pod that cannot start) never hold up fabric8's threads.
 */
final class RunWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunWatcher.class);
    /** Above this many followed runs, a reconnect lists all managed Jobs and pods instead of reading each run. */
    private static final int REFRESH_ONE_BY_ONE = 20;
    private static final int DELIVERY_THREADS = 4;

    private final KubernetesClient client;
    private final String namespace;
    private final Backoff backoff;
    private final PodLogs logs;
    private final ScheduledExecutorService thread;
    private final ExecutorService delivery;
    private final Map<String, Tracked> tracked = new HashMap<>();
    private final AtomicInteger watchStarts = new AtomicInteger();
    private Watch jobWatch;
    private Watch podWatch;
    private int generation;
    private int quickFailures;
    private long lastStartNanos;
    private ScheduledFuture<?> restart;
    private volatile boolean closed;

    RunWatcher(KubernetesClient client, String namespace, Backoff backoff, PodLogs logs) {
        this.client = client;
        this.namespace = namespace;
        this.backoff = backoff;
        this.logs = logs;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "flowport-kubernetes-watch-" + namespace);
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.thread = t;
        AtomicInteger seq = new AtomicInteger();
        this.delivery = Executors.newFixedThreadPool(DELIVERY_THREADS, r -> {
            Thread th = new Thread(r, "flowport-kubernetes-status-" + seq.incrementAndGet());
            th.setDaemon(true);
            return th;
        });
    }

    /**
     * Calls {@code listener} with each status change of {@code launch} (the current one first) until the
     * returned handle is closed. Returns at once.
     */
    AutoCloseable follow(Launch launch, String container, Consumer<RunStatus> listener) {
        Listener l = new Listener(listener);
        String job = launch.id();
        thread.execute(() -> {
            Tracked t = tracked.computeIfAbsent(job, k -> new Tracked(job,
                    launch.labels().get(Labels.FLOW_RUN_ID), container));
            t.listeners.add(l);
            ensureWatching();
            refresh(t);
        });
        return () -> {
            if (!closed) {
                thread.execute(() -> {
                    Tracked t = tracked.get(job);
                    if (t != null) {
                        t.listeners.remove(l);
                        if (t.listeners.isEmpty()) {
                            tracked.remove(job);
                        }
                    }
                    if (tracked.isEmpty()) {
                        stopWatching();
                    }
                });
            }
        };
    }

    /** How many times the watches were started (a reconnect after an error starts them again). */
    int watchStarts() {
        return watchStarts.get();
    }

    private void ensureWatching() {
        if (closed || jobWatch != null || (restart != null && !restart.isDone())) {
            return;
        }
        startWatches();
    }

    private void startWatches() {
        int gen = ++generation;
        lastStartNanos = System.nanoTime();
        try {
            jobWatch = client.batch().v1().jobs().inNamespace(namespace).withLabels(Labels.managed())
                    .watch(new Events<>(gen, "Job", this::onJob));
            podWatch = client.pods().inNamespace(namespace).withLabels(Labels.managed())
                    .watch(new Events<>(gen, "pod", this::onPod));
            watchStarts.incrementAndGet();
            LOG.debug("watching Jobs and pods of namespace {} (watch #{})", namespace, watchStarts.get());
        } catch (KubernetesClientException e) {
            LOG.info("cannot watch Jobs in namespace {} ({}); trying again", namespace, describe(e));
            closeWatches();
            scheduleRestart();
        }
    }

    private void onClosed(int gen, String what, WatcherException cause) {
        if (closed || gen != generation) {
            return;
        }
        if (cause.isHttpGone()) {
            LOG.debug("{} watch in namespace {}: resource version too old (HTTP 410); reading again and watching"
                    + " from now", what, namespace);
        } else {
            LOG.info("{} watch in namespace {} closed: {}; reconnecting", what, namespace, cause.getMessage());
        }
        closeWatches();
        scheduleRestart();
    }

    private void scheduleRestart() {
        if (closed || (restart != null && !restart.isDone())) {
            return;
        }
        // a watch that dies right after it started counts as a failure; one that lived a while does not
        boolean quick = System.nanoTime() - lastStartNanos < TimeUnit.SECONDS.toNanos(5);
        quickFailures = quick ? quickFailures + 1 : 0;
        long delay = quickFailures <= 1 ? 0 : backoff.delay(quickFailures - 2).toNanos();
        restart = thread.schedule(this::restartNow, delay, TimeUnit.NANOSECONDS);
    }

    private void restartNow() {
        restart = null;
        if (closed || tracked.isEmpty()) {
            return;
        }
        startWatches();
        if (jobWatch == null) {
            return;
        }
        if (tracked.size() <= REFRESH_ONE_BY_ONE) {
            for (Tracked t : new ArrayList<>(tracked.values())) {
                refresh(t);
            }
        } else {
            refreshAll();
        }
    }

    /** Reads one run's Job and pods again. */
    private void refresh(Tracked t) {
        try {
            Job job = client.batch().v1().jobs().inNamespace(namespace).withName(t.job).get();
            List<Pod> pods = podsOf(t);
            t.setJob(job, job == null);
            t.pods.clear();
            pods.forEach(p -> t.pods.put(p.getMetadata().getName(), p));
            emit(t);
        } catch (KubernetesClientException e) {
            LOG.debug("cannot read Job {}: {}; trying again", t.job, describe(e));
            closeWatches();
            scheduleRestart();
        }
    }

    /** Reads every managed Job and pod of the namespace in two calls. */
    private void refreshAll() {
        try {
            Map<String, Job> jobs = new HashMap<>();
            client.batch().v1().jobs().inNamespace(namespace).withLabels(Labels.managed()).list().getItems()
                    .forEach(j -> jobs.put(j.getMetadata().getName(), j));
            List<Pod> pods = client.pods().inNamespace(namespace).withLabels(Labels.managed()).list().getItems();
            for (Tracked t : new ArrayList<>(tracked.values())) {
                Job job = jobs.get(t.job);
                t.setJob(job, job == null);
                t.pods.clear();
                pods.stream().filter(p -> t.owns(p)).forEach(p -> t.pods.put(p.getMetadata().getName(), p));
                emit(t);
            }
        } catch (KubernetesClientException e) {
            LOG.debug("cannot list Jobs in namespace {}: {}; trying again", namespace, describe(e));
            closeWatches();
            scheduleRestart();
        }
    }

    private List<Pod> podsOf(Tracked t) {
        if (t.runLabel == null) {
            return client.pods().inNamespace(namespace).withLabel("job-name", t.job).list().getItems();
        }
        return client.pods().inNamespace(namespace).withLabel(Labels.FLOW_RUN_ID, t.runLabel).list().getItems()
                .stream().filter(t::owns).toList();
    }

    private void onJob(Watcher.Action action, Job job) {
        Tracked t = tracked.get(job.getMetadata().getName());
        if (t == null) {
            return;
        }
        switch (action) {
            case DELETED -> t.setJob(job, true);
            case ADDED, MODIFIED -> t.setJob(job, false);
            default -> {
                return;
            }
        }
        emit(t);
    }

    private void onPod(Watcher.Action action, Pod pod) {
        for (Tracked t : tracked.values()) {
            if (!t.owns(pod)) {
                continue;
            }
            String name = pod.getMetadata().getName();
            if (action == Watcher.Action.DELETED) {
                t.pods.remove(name);
            } else if (action == Watcher.Action.ADDED || action == Watcher.Action.MODIFIED) {
                Pod previous = t.pods.get(name);
                if (previous == null || !isOlder(pod.getMetadata().getResourceVersion(),
                        previous.getMetadata().getResourceVersion())) {
                    t.pods.put(name, pod);
                }
            }
            emit(t);
        }
    }

    private void emit(Tracked t) {
        Job job = t.forStatus();
        RunStatus status = JobStatuses.status(t.job, job, t.pods.values(), t.container);
        if (status.isFinished() && job != null && !t.readPodsAtEnd) {
            // the pod watch may lag behind the Job watch: read the pods once so the exit code is the real one
            t.readPodsAtEnd = true;
            try {
                t.pods.clear();
                podsOf(t).forEach(p -> t.pods.put(p.getMetadata().getName(), p));
                status = JobStatuses.status(t.job, job, t.pods.values(), t.container);
            } catch (KubernetesClientException e) {
                LOG.debug("cannot read the pods of Job {}: {}", t.job, describe(e));
            }
        }
        for (Pod p : t.pods.values()) {
            if (JobStatuses.hasStarted(p, t.container)) {
                logs.stream(t.job, p.getMetadata().getName(), t.container);
            }
        }
        if (status.isFinished()) {
            logs.finished(t.job);
        }
        if (status.phase().isStarting()) {
            status = withEvent(t, status);
        }
        for (Listener l : t.listeners) {
            if (!status.equals(l.last)) {
                l.last = status;
                RunStatus s = status;
                // in order per listener, off this thread: a listener may block (the lifecycle reads the logs of
                // a finished run) and must not hold up the events of other runs
                l.delivered = l.delivered.thenRunAsync(() -> {
                    try {
                        l.consumer.accept(s);
                    } catch (RuntimeException e) {
                        LOG.warn("a listener of Job {} failed: {}", t.job, e.toString());
                    }
                }, delivery);
            }
        }
    }

    /** Adds the message of the latest Warning event of a pod that cannot start or be scheduled. */
    private RunStatus withEvent(Tracked t, RunStatus status) {
        Pod pod = JobStatuses.newest(t.pods.values());
        if (pod == null) {
            return status;
        }
        String problem = null;
        var cs = JobStatuses.containerStatus(pod, t.container);
        if (cs != null && cs.getState() != null && cs.getState().getWaiting() != null
                && JobStatuses.START_PROBLEMS.contains(cs.getState().getWaiting().getReason())) {
            problem = cs.getState().getWaiting().getReason();
        } else if (JobStatuses.unschedulable(pod).isPresent()) {
            problem = "Unschedulable";
        }
        if (problem == null) {
            return status;
        }
        String key = pod.getMetadata().getName() + "/" + problem;
        if (!key.equals(t.eventKey)) {
            t.eventKey = key;
            t.eventMessage = latestWarning(pod.getMetadata().getName());
        }
        String m = t.eventMessage;
        if (m == null || status.detail().contains(m)) {
            return status;
        }
        return RunStatus.of(status.phase(), status.detail() + " (event: " + m + ")");
    }

    private String latestWarning(String pod) {
        try {
            List<Event> events = client.v1().events().inNamespace(namespace)
                    .withField("involvedObject.name", pod).list().getItems();
            return events.stream()
                    .filter(e -> "Warning".equals(e.getType()) && e.getMessage() != null && !e.getMessage().isBlank())
                    .max(Comparator.comparing(RunWatcher::eventTime))
                    .map(e -> e.getMessage().strip())
                    .orElse(null);
        } catch (KubernetesClientException e) {
            LOG.debug("cannot read the events of pod {}: {}", pod, describe(e));
            return null;
        }
    }

    private static Instant eventTime(Event e) {
        return Optional.ofNullable(JobStatuses.instant(e.getLastTimestamp()))
                .or(() -> Optional.ofNullable(e.getEventTime() == null ? null
                        : JobStatuses.instant(e.getEventTime().getTime())))
                .or(() -> Optional.ofNullable(JobStatuses.instant(e.getMetadata() == null ? null
                        : e.getMetadata().getCreationTimestamp())))
                .orElse(Instant.EPOCH);
    }

    private void stopWatching() {
        if (restart != null) {
            restart.cancel(false);
            restart = null;
        }
        closeWatches();
    }

    private void closeWatches() {
        generation++;
        Watch j = jobWatch;
        Watch p = podWatch;
        jobWatch = null;
        podWatch = null;
        for (Watch w : new Watch[] {j, p}) {
            if (w != null) {
                try {
                    w.close();
                } catch (RuntimeException e) {
                    LOG.debug("closing a watch failed", e);
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            thread.submit(() -> {
                stopWatching();
                tracked.clear();
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("closing the watches of namespace {} did not finish: {}", namespace, e.toString());
        }
        thread.shutdownNow();
        delivery.shutdown();
    }

    static String describe(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return "HTTP " + e.getCode() + ": " + e.getStatus().getMessage();
        }
        return e.getCode() > 0 ? "HTTP " + e.getCode() + ": " + e.getMessage() : String.valueOf(e.getMessage());
    }

    /** Whether resource version {@code a} is older than {@code b} (both numeric, as the API server makes them). */
    static boolean isOlder(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        try {
            return Long.parseLong(a) < Long.parseLong(b);
        } catch (NumberFormatException e) {
            return false; // opaque versions: trust arrival order
        }
    }

    /** Hands watch events to the state thread. */
    private final class Events<T> implements Watcher<T> {
        private final int gen;
        private final String what;
        private final java.util.function.BiConsumer<Action, T> handler;

        Events(int gen, String what, java.util.function.BiConsumer<Action, T> handler) {
            this.gen = gen;
            this.what = what;
            this.handler = handler;
        }

        @Override
        public void eventReceived(Action action, T resource) {
            if (!closed && resource != null) {
                thread.execute(() -> handler.accept(action, resource));
            }
        }

        @Override
        public void onClose(WatcherException cause) {
            if (!closed) {
                thread.execute(() -> onClosed(gen, what, cause));
            }
        }

        @Override
        public void onClose() {
            // closed by us
        }
    }

    /** One followed Job. */
    private static final class Tracked {
        final String job;
        final String runLabel;
        final String container;
        final Map<String, Pod> pods = new HashMap<>();
        final List<Listener> listeners = new ArrayList<>();
        Job current;
        boolean deleted;
        boolean readPodsAtEnd;
        String eventKey;
        String eventMessage;

        Tracked(String job, String runLabel, String container) {
            this.job = job;
            this.runLabel = runLabel;
            this.container = container;
        }

        void setJob(Job job, boolean gone) {
            if (gone) {
                deleted = true;
                if (job != null) {
                    current = job;
                }
                return;
            }
            if (deleted) {
                return; // a late event of a Job already deleted
            }
            if (current == null || !isOlder(job.getMetadata().getResourceVersion(),
                    current.getMetadata().getResourceVersion())) {
                current = job;
            }
        }

        /** The Job to map: null once deleted, unless it had finished before. */
        Job forStatus() {
            if (deleted) {
                return JobStatuses.isFinished(current) ? current : null;
            }
            return current;
        }

        boolean owns(Pod pod) {
            if (pod.getMetadata() == null) {
                return false;
            }
            List<OwnerReference> owners = pod.getMetadata().getOwnerReferences();
            if (owners != null) {
                for (OwnerReference o : owners) {
                    if ("Job".equals(o.getKind())) {
                        return job.equals(o.getName());
                    }
                }
            }
            Map<String, String> labels = pod.getMetadata().getLabels();
            if (labels == null) {
                return false;
            }
            String jobName = labels.getOrDefault("batch.kubernetes.io/job-name", labels.get("job-name"));
            if (jobName != null) {
                return job.equals(jobName);
            }
            return runLabel != null && Objects.equals(runLabel, labels.get(Labels.FLOW_RUN_ID));
        }
    }

    /** One listener and the last status it got. */
    private static final class Listener {
        final Consumer<RunStatus> consumer;
        RunStatus last;
        CompletableFuture<Void> delivered = CompletableFuture.completedFuture(null);

        Listener(Consumer<RunStatus> consumer) {
            this.consumer = consumer;
        }
    }
}
