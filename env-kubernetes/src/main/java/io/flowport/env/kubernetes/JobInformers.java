package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Follows runs with fabric8's shared informers, whatever the number of runs: one on the Jobs and one on the pods
 * of the namespace that carry {@code flowport.io/managed-by=flowport}. fabric8 lists, watches, resyncs, and lists
 * again after {@code 410 Gone}; each change of a followed Job or of one of its pods gives the run's listeners its
 * new {@link RunStatus}.
 *
 * <p>The informers start with the first {@link #follow} and stop with {@link #close()}. Their event threads only
 * hand events over: all state lives on one thread of this class, and every blocking API call (a Job missing from
 * the cache, the pods of a run that just ended, the events of a pod that cannot start) runs on an I/O pool whose
 * answer comes back to that thread. Listeners are called on a third pool, in order per listener.
 */
final class JobInformers implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobInformers.class);
    /** How often the informers hand every cached object to the handlers again (from memory, no API call). */
    static final Duration RESYNC = Duration.ofMinutes(5);
    private static final String BY_JOB = "job";
    private static final int IO_THREADS = 4;
    private static final int DELIVERY_THREADS = 4;

    private final KubernetesClient client;
    private final String namespace;
    private final PodLogs logs;
    private final ExecutorService state;
    private final ExecutorService io;
    private final ExecutorService delivery;
    /** Followed Jobs by name; touched on the state thread only. */
    private final Map<String, Tracked> tracked = new HashMap<>();
    private final AtomicInteger jobListings = new AtomicInteger();
    private final AtomicBoolean failing = new AtomicBoolean();
    private SharedIndexInformer<Job> jobs;
    private SharedIndexInformer<Pod> pods;
    private CompletableFuture<Void> started;
    private volatile boolean closed;

    JobInformers(KubernetesClient client, String namespace, PodLogs logs) {
        this.client = client;
        this.namespace = namespace;
        this.logs = logs;
        this.state = Executors.newSingleThreadExecutor(daemon("flowport-kubernetes-runs-" + namespace));
        this.io = Executors.newFixedThreadPool(IO_THREADS, daemon("flowport-kubernetes-reads-" + namespace));
        this.delivery = Executors.newFixedThreadPool(DELIVERY_THREADS,
                daemon("flowport-kubernetes-status-" + namespace));
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger seq = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Calls {@code listener} with each status change of {@code launch} (the current one first) until the
     * returned handle is closed. Starts the informers on first use. Returns at once.
     */
    AutoCloseable follow(Launch launch, String container, Consumer<RunStatus> listener) {
        if (closed) {
            throw new IllegalStateException("the Kubernetes backend of namespace " + namespace + " is closed");
        }
        CompletableFuture<Void> ready = startInformers();
        Listener l = new Listener(listener);
        String job = launch.id();
        onState(() -> {
            Tracked t = tracked.computeIfAbsent(job, k -> new Tracked(job, launch.labels().get(Labels.FLOW_RUN_ID),
                    container));
            t.listeners.add(l);
        });
        // the first status once the caches hold everything that existed when the informers started
        ready.whenCompleteAsync((v, e) -> {
            Tracked t = tracked.get(job);
            if (t != null && e == null) {
                refresh(t);
            }
        }, state);
        return () -> onState(() -> {
            Tracked t = tracked.get(job);
            if (t != null) {
                t.listeners.remove(l);
                if (t.listeners.isEmpty()) {
                    tracked.remove(job);
                }
            }
        });
    }

    /** Whether the informers run (started by the first {@link #follow}, stopped by {@link #close()}). */
    synchronized boolean informing() {
        return jobs != null && jobs.isRunning() && pods != null && pods.isRunning();
    }

    /** How many times the Job informer listed the namespace's Jobs: once at start, again after each 410 Gone. */
    int jobListings() {
        return jobListings.get();
    }

    private synchronized CompletableFuture<Void> startInformers() {
        if (started != null) {
            return started;
        }
        ExceptionHandler retry = (wasStarted, error) -> {
            if (closed) {
                return false;
            }
            // keep trying: a watch the server ended, a throttled list, and also a missing Role (it can be granted
            // while runs wait; their start timeout ends them). Say why once per streak, not at every retry.
            if (failing.compareAndSet(false, true)) {
                LOG.warn("cannot list or watch Jobs and pods in namespace {} ({}); retrying", namespace,
                        error instanceof KubernetesClientException k ? KubernetesJobBackend.describe(k) + rbac(k)
                                : error.toString());
            } else {
                LOG.debug("list or watch in namespace {} failed again: {}", namespace, error.toString());
            }
            return true;
        };
        jobs = client.batch().v1().jobs().inNamespace(namespace).withLabels(Labels.managed())
                .runnableInformer(RESYNC.toMillis());
        jobs.exceptionHandler(retry);
        jobs.addEventHandler(new Handler<>(this::onJob, this::onJobDeleted, () -> {
            jobListings.incrementAndGet();
            failing.set(false);
        }));
        pods = client.pods().inNamespace(namespace).withLabels(Labels.managed())
                .runnableInformer(RESYNC.toMillis());
        pods.exceptionHandler(retry);
        pods.addIndexers(Map.of(BY_JOB, p -> {
            String job = jobOf(p);
            return job == null ? List.of() : List.of(job);
        }));
        pods.addEventHandler(new Handler<>(this::onPod, (p, gone) -> onPod(p), () -> failing.set(false)));
        started = CompletableFuture.allOf(jobs.start().toCompletableFuture(), pods.start().toCompletableFuture());
        return started;
    }

    private static String rbac(KubernetesClientException e) {
        return e.getCode() == 401 || e.getCode() == 403
                ? "; grant the Role of the flowport-env-kubernetes README (jobs and pods: list, watch)" : "";
    }

    /** Runs a task on the state thread; nothing once closed. */
    private void onState(Runnable task) {
        if (closed) {
            return;
        }
        try {
            state.execute(task);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** Reads on the I/O pool, then hands the answer (or null after a failure) to the state thread. */
    private <T> void read(String what, Supplier<T> call, Consumer<T> then) {
        if (closed) {
            return;
        }
        try {
            io.execute(() -> {
                T value;
                try {
                    value = call.get();
                } catch (KubernetesClientException e) {
                    LOG.debug("cannot read {} in namespace {}: {}", what, namespace, KubernetesJobBackend.describe(e));
                    value = null;
                } catch (RuntimeException e) {
                    LOG.debug("cannot read {} in namespace {}: {}", what, namespace, e.toString());
                    value = null;
                }
                T v = value;
                onState(() -> then.accept(v));
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void onJob(Job job) {
        onState(() -> {
            Tracked t = tracked.get(job.getMetadata().getName());
            if (t != null && !t.deleted) {
                t.job = job;
                emit(t);
            }
        });
    }

    private void onJobDeleted(Job job, boolean finalStateUnknown) {
        onState(() -> {
            Tracked t = tracked.get(job.getMetadata().getName());
            if (t != null) {
                t.deleted = true;
                if (!finalStateUnknown) {
                    t.job = job;
                }
                emit(t);
            }
        });
    }

    private void onPod(Pod pod) {
        String job = jobOf(pod);
        if (job != null) {
            onState(() -> {
                Tracked t = tracked.get(job);
                if (t != null) {
                    emit(t);
                }
            });
        }
    }

    /** The first status of a newly followed run: from the cache, or from one read if the cache lacks the Job. */
    private void refresh(Tracked t) {
        Job cached = jobs.getStore().getByKey(namespace + "/" + t.name);
        if (cached != null) {
            if (t.job == null) {
                t.job = cached;
            }
            emit(t);
            return;
        }
        // created just now (its event is on its way) or gone before we looked: ask the API server
        read("Job " + t.name, () -> Optional.ofNullable(
                        client.batch().v1().jobs().inNamespace(namespace).withName(t.name).get()),
                found -> {
                    if (found == null || t.job != null || t.deleted) {
                        return; // the read failed (the informer will tell), or an event came first
                    }
                    if (found.isPresent()) {
                        t.job = found.get();
                    } else {
                        t.deleted = true;
                    }
                    emit(t);
                });
    }

    private void emit(Tracked t) {
        if (tracked.get(t.name) != t) {
            return; // no longer followed
        }
        Job job = t.deleted ? (JobStatuses.isFinished(t.job) ? t.job : null) : t.job;
        if (job == null && !t.deleted) {
            return; // not seen yet: refresh() is reading it
        }
        Collection<Pod> current = t.finalPods != null ? t.finalPods : pods.getIndexer().byIndex(BY_JOB, t.name);
        RunStatus status = JobStatuses.status(t.name, job, current, t.container);
        if (status.isFinished() && job != null && t.finalPods == null) {
            // the pod informer may lag behind the Job informer: read the pods once, so that the exit code is the
            // container's real one, and hold the final status back until then
            if (!t.readingFinalPods) {
                t.readingFinalPods = true;
                read("pods of Job " + t.name, () -> podsOf(t),
                        list -> {
                            t.finalPods = list != null ? list : List.copyOf(pods.getIndexer().byIndex(BY_JOB, t.name));
                            emit(t);
                        });
            }
            return;
        }
        for (Pod p : current) {
            if (JobStatuses.hasStarted(p, t.container)) {
                logs.stream(t.name, p.getMetadata().getName(), t.container);
            }
        }
        if (status.isFinished()) {
            logs.finished(t.name);
        }
        if (status.phase().isStarting()) {
            status = withEvent(t, current, status);
        }
        for (Listener l : t.listeners) {
            deliver(t.name, l, status);
        }
    }

    /** The pods of a followed Job, read from the API server (by the run's label, as the pod template has it). */
    private List<Pod> podsOf(Tracked t) {
        var all = client.pods().inNamespace(namespace);
        var selected = t.runLabel != null ? all.withLabel(Labels.FLOW_RUN_ID, t.runLabel)
                : all.withLabel("job-name", t.name);
        return selected.list().getItems().stream().filter(p -> t.name.equals(jobOf(p))).toList();
    }

    private void deliver(String job, Listener l, RunStatus status) {
        if (status.equals(l.last)) {
            return;
        }
        l.last = status;
        // in order per listener, off the state thread: a listener may block and must not hold up other runs
        l.delivered = l.delivered.thenRunAsync(() -> {
            try {
                l.consumer.accept(status);
            } catch (RuntimeException e) {
                LOG.warn("a listener of Job {} failed: {}", job, e.toString());
            }
        }, delivery);
    }

    /**
     * Adds the message of the latest Warning event of a pod that cannot start or be scheduled (e.g. "Failed to
     * pull image …: not found"). The events are read once per pod and problem, on the I/O pool; the status goes
     * out at once and again when they arrive.
     */
    private RunStatus withEvent(Tracked t, Collection<Pod> current, RunStatus status) {
        Pod pod = JobStatuses.newest(current);
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
        String podName = pod.getMetadata().getName();
        String key = podName + "/" + problem;
        if (!key.equals(t.eventKey)) {
            t.eventKey = key;
            t.eventMessage = null;
            read("events of pod " + podName, () -> latestWarning(podName), message -> {
                if (key.equals(t.eventKey) && message != null) {
                    t.eventMessage = message;
                    emit(t);
                }
            });
        }
        String m = t.eventMessage;
        if (m == null || status.detail().contains(m)) {
            return status;
        }
        return RunStatus.of(status.phase(), status.detail() + " (event: " + m + ")");
    }

    private String latestWarning(String pod) {
        List<Event> events = client.v1().events().inNamespace(namespace)
                .withField("involvedObject.name", pod).list().getItems();
        return events.stream()
                .filter(e -> "Warning".equals(e.getType()) && e.getMessage() != null && !e.getMessage().isBlank())
                .max(Comparator.comparing(JobInformers::eventTime))
                .map(e -> e.getMessage().strip())
                .orElse(null);
    }

    private static Instant eventTime(Event e) {
        return Optional.ofNullable(JobStatuses.instant(e.getLastTimestamp()))
                .or(() -> Optional.ofNullable(e.getEventTime() == null ? null
                        : JobStatuses.instant(e.getEventTime().getTime())))
                .or(() -> Optional.ofNullable(JobStatuses.instant(e.getMetadata() == null ? null
                        : e.getMetadata().getCreationTimestamp())))
                .orElse(Instant.EPOCH);
    }

    /** The Job a pod belongs to: its controlling owner of kind Job, else the Job controller's labels. */
    static String jobOf(Pod pod) {
        if (pod.getMetadata() == null) {
            return null;
        }
        List<OwnerReference> owners = pod.getMetadata().getOwnerReferences();
        if (owners != null) {
            for (OwnerReference o : owners) {
                if ("Job".equals(o.getKind())) {
                    return o.getName();
                }
            }
        }
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels == null ? null : labels.getOrDefault("batch.kubernetes.io/job-name", labels.get("job-name"));
    }

    /** Stops the informers and this class's threads; followed runs hear nothing more. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            for (SharedIndexInformer<?> i : java.util.Arrays.asList(jobs, pods)) {
                if (i != null) {
                    try {
                        i.close();
                    } catch (RuntimeException e) {
                        LOG.debug("stopping an informer of namespace {} failed: {}", namespace, e.toString());
                    }
                }
            }
        }
        state.shutdownNow();
        io.shutdownNow();
        delivery.shutdown();
    }

    /** Hands informer events to this class; runs on fabric8's event thread, so it only enqueues. */
    private static final class Handler<T> implements ResourceEventHandler<T> {
        private final Consumer<T> changed;
        private final java.util.function.BiConsumer<T, Boolean> deleted;
        private final Runnable listed;

        Handler(Consumer<T> changed, java.util.function.BiConsumer<T, Boolean> deleted, Runnable listed) {
            this.changed = changed;
            this.deleted = deleted;
            this.listed = listed;
        }

        @Override
        public void onAdd(T obj) {
            changed.accept(obj);
        }

        @Override
        public void onUpdate(T oldObj, T newObj) {
            changed.accept(newObj);
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            deleted.accept(obj, deletedFinalStateUnknown);
        }

        /** A list (at start, or after 410 Gone) succeeded and the cache is in sync with it. */
        @Override
        public void onList(String resourceVersion, boolean empty) {
            listed.run();
        }
    }

    /** One followed Job. */
    private static final class Tracked {
        final String name;
        final String runLabel;
        final String container;
        final List<Listener> listeners = new ArrayList<>();
        Job job;
        boolean deleted;
        boolean readingFinalPods;
        List<Pod> finalPods;
        String eventKey;
        String eventMessage;

        Tracked(String name, String runLabel, String container) {
            this.name = name;
            this.runLabel = runLabel;
            this.container = container;
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
