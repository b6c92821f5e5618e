package io.flowport.env.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ContainerResource;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.Loggable;
import io.flowport.core.RunLogs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pod logs of runs, through fabric8's log API: followed with {@code watchLog} from the moment the flow's
 * container starts, and read with {@code getLog} ({@code tailingLines} for a tail) for a run this process did
 * not follow or whose stream failed. Memory is bounded in bytes: each pod keeps the newest
 * {@value #MAX_POD_BYTES} bytes, lines are cut at {@value #MAX_LINE_BYTES} bytes (see {@link LogBuffer}), and
 * the logs of at most {@value #MAX_RETAINED_JOBS} finished Jobs are kept besides those still running.
 * Thread-safe.
 */
final class PodLogs implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PodLogs.class);
    /** The most bytes of one pod's log kept in memory (the newest ones). */
    static final int MAX_POD_BYTES = 1 << 20;
    /** The most bytes of one line; the rest of a longer line is dropped, and the line says so. */
    static final int MAX_LINE_BYTES = 64 << 10;
    /** Finished Jobs whose streamed logs stay in memory (the oldest go first); running Jobs always stay. */
    static final int MAX_RETAINED_JOBS = 64;
    /** An error answer is one small JSON object; a log whose whole text is one is taken for an error. */
    private static final int MAX_STATUS_BYTES = 16 << 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final String namespace;
    private final long drainMillis;
    /** Streamed logs by Job, oldest first; guarded by itself. */
    private final Map<String, JobLogs> byJob = new LinkedHashMap<>();
    private final ExecutorService opener;
    private volatile boolean closed;

    PodLogs(KubernetesClient client, String namespace, long drainMillis) {
        this.client = client;
        this.namespace = namespace;
        this.drainMillis = drainMillis;
        AtomicInteger seq = new AtomicInteger();
        // opening a log watch blocks (fabric8 first looks at the pod), so it never runs on an informer's thread
        this.opener = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "flowport-kubernetes-logs-" + namespace + "-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts following the log of a pod's container, once per pod. Returns at once. */
    void stream(String job, String pod, String container) {
        if (closed) {
            return;
        }
        PodStream stream;
        synchronized (byJob) {
            JobLogs logs = byJob.computeIfAbsent(job, k -> new JobLogs());
            if (logs.pods.containsKey(pod)) {
                return;
            }
            stream = new PodStream(pod, container);
            logs.pods.put(pod, stream);
            evictFinished();
        }
        try {
            opener.execute(() -> open(stream));
        } catch (RejectedExecutionException e) {
            stream.fail("the backend is closed");
        }
    }

    /** Drops the logs of the oldest finished Jobs beyond {@link #MAX_RETAINED_JOBS}; holds the lock. */
    private void evictFinished() {
        int excess = byJob.size() - MAX_RETAINED_JOBS;
        for (Iterator<JobLogs> it = byJob.values().iterator(); excess > 0 && it.hasNext(); ) {
            JobLogs logs = it.next();
            if (logs.finished) {
                it.remove();
                logs.close();
                excess--;
            }
        }
    }

    private void open(PodStream stream) {
        if (closed) {
            stream.fail("the backend is closed");
            return;
        }
        try {
            LogWatch watch = container(stream.pod, stream.container).watchLog(stream.buffer);
            stream.watch = watch;
            watch.onClose().whenComplete((error, e) -> stream.end(error != null ? error : e));
            if (closed) {
                watch.close();
            }
            LOG.debug("following the log of pod {} container {}", stream.pod, stream.container);
        } catch (RuntimeException e) {
            // KubernetesClientException, or IllegalStateException once the client is closed
            stream.fail("cannot follow the log of pod " + stream.pod + ": " + e);
        }
    }

    private ContainerResource container(String pod, String container) {
        return client.pods().inNamespace(namespace).withName(pod).inContainer(container);
    }

    /**
     * The HTTP status code of an error answer that fabric8's log watch wrote into the log: the API server
     * answers a refused log request with a JSON {@code Status} object as the whole body, and {@code watchLog}
     * copies bodies whatever their status code. Null when the text is a log.
     */
    static Integer errorStatus(String text) {
        if (text == null) {
            return null;
        }
        String s = text.strip();
        if (s.length() > MAX_STATUS_BYTES || !s.startsWith("{") || !s.endsWith("}")) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(s);
            if ("Status".equals(node.path("kind").asText()) && node.path("code").isInt()) {
                return node.path("code").asInt();
            }
        } catch (IOException e) {
            // not JSON: a log
        }
        return null;
    }

    /** Records that a Job's run finished: its streams end soon, so reading its logs waits for them a while. */
    void finished(String job) {
        synchronized (byJob) {
            JobLogs logs = byJob.get(job);
            if (logs != null) {
                logs.finished = true;
            }
        }
    }

    /** Stops following and forgets the logs of a Job (it was deleted). */
    void forget(String job) {
        JobLogs logs;
        synchronized (byJob) {
            logs = byJob.remove(job);
        }
        if (logs != null) {
            logs.close();
        }
    }

    /**
     * The logs of a Job's run: what was followed, or else what the API server still has.
     *
     * @param container     the flow's container
     * @param runLabelKey   the label selecting the run's pods
     * @param runLabelValue its value
     */
    RunLogs logs(String job, String container, String runLabelKey, String runLabelValue) {
        JobLogs followed;
        synchronized (byJob) {
            followed = byJob.get(job);
        }
        return new JobRunLogs(job, container, runLabelKey, runLabelValue, followed);
    }

    /** How many Jobs have followed logs in memory (for tests of the bound). */
    int retainedJobs() {
        synchronized (byJob) {
            return byJob.size();
        }
    }

    /** Whether the followed logs of a Job are in memory (for tests of the bound). */
    boolean retains(String job) {
        synchronized (byJob) {
            return byJob.containsKey(job);
        }
    }

    @Override
    public void close() {
        closed = true;
        List<JobLogs> all;
        synchronized (byJob) {
            all = new ArrayList<>(byJob.values());
            byJob.clear();
        }
        all.forEach(JobLogs::close);
        opener.shutdownNow();
    }

    /** Reads a pod's log in one request, through a bounded buffer; {@code tailLines} null for all of it. */
    private List<String> read(String pod, String container, Integer tailLines) {
        ContainerResource c = container(pod, container);
        Loggable log = tailLines == null ? c : c.tailingLines(tailLines);
        LogBuffer buffer = new LogBuffer(MAX_POD_BYTES, MAX_LINE_BYTES);
        // getLog checks the answer's status code (unlike watchLog): a refusal throws, it never becomes lines
        try (InputStream in = log.getLogInputStream()) {
            in.transferTo(buffer);
        } catch (IOException e) {
            throw new KubernetesClientException("reading the log of pod " + pod + " failed: " + e, e);
        }
        return buffer.lines();
    }

    /** The streams of one Job's pods, in the order the pods started. */
    private static final class JobLogs {
        /** Guarded by the outer map's lock. */
        final Map<String, PodStream> pods = new LinkedHashMap<>();
        volatile boolean finished;

        void close() {
            pods.values().forEach(PodStream::close);
        }
    }

    /** One pod's followed log. */
    private static final class PodStream {
        final String pod;
        final String container;
        final LogBuffer buffer = new LogBuffer(MAX_POD_BYTES, MAX_LINE_BYTES);
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        volatile LogWatch watch;
        volatile boolean failed;

        PodStream(String pod, String container) {
            this.pod = pod;
            this.container = container;
        }

        void fail(String why) {
            LOG.debug(why);
            failed = true;
            ended.complete(null);
        }

        /** The watch ended: the container exited, the connection broke, or the answer was an error. */
        void end(Throwable error) {
            if (error != null) {
                fail("the log of pod " + pod + " broke off: " + error);
                return;
            }
            Integer status = errorStatus(buffer.textIfComplete());
            if (status != null) {
                buffer.clear();
                fail("the log of pod " + pod + " was refused with HTTP " + status);
                return;
            }
            ended.complete(null);
        }

        void close() {
            LogWatch w = watch;
            if (w != null) {
                w.close();
            }
            ended.complete(null);
        }
    }

    /** The logs of one run, read when asked. */
    private final class JobRunLogs implements RunLogs {
        private final String job;
        private final String container;
        private final String runLabelKey;
        private final String runLabelValue;
        /** The followed logs when this object was made; they stay reachable from it after eviction. */
        private final JobLogs followed;
        private volatile List<String> complete;
        private volatile String location;

        JobRunLogs(String job, String container, String runLabelKey, String runLabelValue, JobLogs followed) {
            this.job = job;
            this.container = container;
            this.runLabelKey = runLabelKey;
            this.runLabelValue = runLabelValue;
            this.followed = followed;
            this.location = "pods of Job " + job + " in namespace " + namespace;
        }

        @Override
        public List<String> lines() {
            List<String> done = complete;
            if (done != null) {
                return done;
            }
            List<PodStream> streams = streams();
            if (usable(streams)) {
                boolean ended = awaitEnd(streams);
                List<String> lines = join(streams, s -> s.buffer.lines());
                if (ended && usable(streams)) {
                    complete = lines;
                }
                return lines;
            }
            try {
                return fetch(null);
            } catch (KubernetesClientException e) {
                LOG.debug("cannot read the logs of Job {}: {}", job, KubernetesJobBackend.describe(e));
                return streams.isEmpty() ? List.of() : join(streams, s -> s.buffer.lines());
            }
        }

        @Override
        public List<String> tail(int maxLines) {
            if (maxLines < 0) {
                throw new IllegalArgumentException("maxLines must be >= 0, was " + maxLines);
            }
            List<String> done = complete;
            if (done != null) {
                return last(done, maxLines);
            }
            List<PodStream> streams = streams();
            if (usable(streams)) {
                awaitEnd(streams);
                return last(join(streams, s -> s.buffer.tail(maxLines)), maxLines);
            }
            try {
                return last(fetch(maxLines), maxLines);
            } catch (KubernetesClientException e) {
                LOG.debug("cannot read the log tail of Job {}: {}", job, KubernetesJobBackend.describe(e));
                return List.of();
            }
        }

        @Override
        public String location() {
            return location;
        }

        private List<PodStream> streams() {
            JobLogs logs = followed;
            synchronized (byJob) {
                if (logs == null) {
                    logs = byJob.get(job); // followed since this object was made
                }
                return logs == null ? List.of() : new ArrayList<>(logs.pods.values());
            }
        }

        private boolean usable(List<PodStream> streams) {
            return !streams.isEmpty() && streams.stream().noneMatch(s -> s.failed);
        }

        /**
         * For a finished run, waits a little for its streams to deliver their last bytes; a live run gives the
         * lines so far. Returns whether every stream has ended.
         */
        private boolean awaitEnd(List<PodStream> streams) {
            CompletableFuture<?> all = CompletableFuture.allOf(streams.stream().map(s -> s.ended)
                    .toArray(CompletableFuture[]::new));
            boolean finished;
            synchronized (byJob) {
                finished = followed != null ? followed.finished
                        : byJob.containsKey(job) && byJob.get(job).finished;
            }
            if (!finished) {
                return all.isDone();
            }
            try {
                all.get(drainMillis, TimeUnit.MILLISECONDS);
                return true;
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (java.util.concurrent.ExecutionException e) {
                return true;
            }
        }

        private List<String> join(List<PodStream> streams, java.util.function.Function<PodStream, List<String>> of) {
            location = describe(streams.stream().map(s -> s.pod).toList());
            if (streams.size() == 1) {
                return of.apply(streams.get(0));
            }
            List<String> out = new ArrayList<>();
            for (PodStream s : streams) {
                out.add("--- pod " + s.pod + " ---");
                out.addAll(of.apply(s));
            }
            return out;
        }

        /** Reads the logs of the run's pods from the API server: all of them, or the last {@code tail} lines. */
        private List<String> fetch(Integer tail) {
            List<Pod> pods = new ArrayList<>(client.pods().inNamespace(namespace)
                    .withLabel(runLabelKey, runLabelValue).list().getItems());
            pods.removeIf(p -> !JobStatuses.hasStarted(p, container));
            pods.sort(Comparator.comparing((Pod p) -> Optional.ofNullable(
                    JobStatuses.instant(p.getMetadata().getCreationTimestamp())).orElse(Instant.EPOCH))
                    .thenComparing(p -> p.getMetadata().getName()));
            if (pods.isEmpty()) {
                return List.of();
            }
            location = describe(pods.stream().map(p -> p.getMetadata().getName()).toList());
            List<String> out = new ArrayList<>();
            // newest pod first, so that a tail reads no more pods than it needs
            for (int i = pods.size() - 1; i >= 0; i--) {
                String name = pods.get(i).getMetadata().getName();
                List<String> lines = new ArrayList<>(read(name, container, tail));
                if (pods.size() > 1) {
                    lines.add(0, "--- pod " + name + " ---");
                }
                out.addAll(0, lines);
                if (tail != null && out.size() >= tail) {
                    break;
                }
            }
            return out;
        }

        private String describe(List<String> pods) {
            return (pods.size() == 1 ? "pod " + pods.get(0) : "pods " + String.join(", ", pods))
                    + " (container " + container + ") of Job " + job + " in namespace " + namespace;
        }

        private List<String> last(List<String> lines, int n) {
            return lines.size() <= n ? lines : List.copyOf(lines.subList(lines.size() - n, lines.size()));
        }
    }
}
