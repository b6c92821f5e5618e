package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.URLUtils;
import io.flowport.core.RunLogs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The pod logs of runs: streamed (the log endpoint in follow mode) from the moment the flow's container starts,
 * kept in memory (the last {@value #MAX_LINES} lines per pod), and read in one request when nothing was
 * streamed, e.g. for a run this process did not follow. Thread-safe.
 */
final class PodLogs implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PodLogs.class);
    static final int MAX_LINES = 10_000;
    private static final int MAX_JOBS = 1_000;

    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, JobLogs> byJob = new LinkedHashMap<>(16, 0.75f, false);
    private final ExecutorService opener;
    private final long drainMillis;
    private volatile boolean closed;

    PodLogs(KubernetesClient client, String namespace, long drainMillis) {
        this.client = client;
        this.namespace = namespace;
        this.drainMillis = drainMillis;
        this.opener = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "flowport-kubernetes-logs");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts streaming the logs of a pod's container, once per pod. Returns at once. */
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
            stream = new PodStream(job, pod, container);
            logs.pods.put(pod, stream);
            while (byJob.size() > MAX_JOBS) {
                String eldest = byJob.keySet().iterator().next();
                byJob.remove(eldest).close();
            }
        }
        opener.execute(() -> open(stream));
    }

    private void open(PodStream stream) {
        if (closed) {
            stream.ended.complete(null);
            return;
        }
        try {
            HttpClient http = client.getHttpClient();
            HttpRequest request = http.newHttpRequestBuilder()
                    .url(logUrl(stream.pod, stream.container, "&follow=true")).build();
            http.consumeBytes(request, (buffers, body) -> {
                buffers.forEach(stream.sink::write);
                body.consume();
            }).whenComplete((response, error) -> {
                if (error != null) {
                    stream.fail("cannot stream logs of pod " + stream.pod + ": " + error);
                } else if (!isLog(response)) {
                    response.body().cancel();
                    stream.fail("cannot stream logs of pod " + stream.pod + ": HTTP " + response.code());
                } else {
                    stream.body = response.body();
                    response.body().done().whenComplete((v, t) -> {
                        stream.sink.flushPartial();
                        stream.ended.complete(null);
                    });
                    response.body().consume();
                    LOG.debug("streaming logs of pod {} container {}", stream.pod, stream.container);
                }
            });
        } catch (RuntimeException | MalformedURLException e) {
            // KubernetesClientException, or IllegalStateException once the client is closed
            stream.fail("cannot stream logs of pod " + stream.pod + ": " + e);
        }
    }

    /**
     * Whether a response carries a log: a success, and not JSON (the API server answers errors with a JSON
     * Status, which must not end up among the lines).
     */
    private static boolean isLog(HttpResponse<?> response) {
        String type = response.header("Content-Type");
        return response.isSuccessful() && (type == null || !type.contains("json"));
    }

    private URL logUrl(String pod, String container, String extra) throws MalformedURLException {
        return new URL(URLUtils.join(client.getMasterUrl().toString(), "api", "v1", "namespaces", namespace, "pods",
                pod, "log?container=" + container + extra));
    }

    /** The last lines of a pod's log, read in one request. */
    private List<String> read(String pod, String container) {
        HttpResponse<String> response;
        try {
            HttpClient http = client.getHttpClient();
            response = http.sendAsync(http.newHttpRequestBuilder()
                    .url(logUrl(pod, container, "&tailLines=" + MAX_LINES)).build(), String.class)
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KubernetesClientException("interrupted while reading the logs of pod " + pod);
        } catch (java.util.concurrent.ExecutionException | TimeoutException | MalformedURLException e) {
            throw new KubernetesClientException("cannot read the logs of pod " + pod + ": " + e, e);
        }
        if (!isLog(response)) {
            throw new KubernetesClientException("cannot read the logs of pod " + pod + ": HTTP " + response.code(),
                    response.code(), null);
        }
        String text = response.body();
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
        if (lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
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

    /** Stops streaming and forgets the logs of a Job (it was deleted). */
    void forget(String job) {
        JobLogs logs;
        synchronized (byJob) {
            logs = byJob.remove(job);
        }
        if (logs != null) {
            logs.close();
        }
    }

    /** The logs of a Job's run: what was streamed, or else what the API server still has. */
    RunLogs logs(String job, String runLabelKey, String runLabelValue) {
        return new JobRunLogs(job, runLabelKey, runLabelValue);
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

    /** The streams of one Job's pods, in the order the pods started. */
    private static final class JobLogs {
        final Map<String, PodStream> pods = new LinkedHashMap<>();
        volatile boolean finished;

        void close() {
            pods.values().forEach(PodStream::close);
        }
    }

    /** One pod's log stream. */
    private static final class PodStream {
        final String job;
        final String pod;
        final String container;
        final LineSink sink;
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        volatile AsyncBody body;
        volatile boolean failed;

        PodStream(String job, String pod, String container) {
            this.job = job;
            this.pod = pod;
            this.container = container;
            this.sink = new LineSink(pod);
        }

        void fail(String why) {
            LOG.debug(why);
            failed = true;
            ended.complete(null);
        }

        void close() {
            AsyncBody b = body;
            if (b != null) {
                b.cancel();
            }
            sink.flushPartial();
            ended.complete(null);
        }
    }

    /** Splits the streamed bytes into lines, keeping the last {@link #MAX_LINES}. */
    static final class LineSink extends OutputStream {
        private final String pod;
        private final Deque<String> lines = new ArrayDeque<>();
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private long dropped;

        LineSink(String pod) {
            this.pod = pod;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                endLine();
            } else {
                partial.write(b);
            }
        }

        synchronized void write(ByteBuffer buffer) {
            while (buffer.hasRemaining()) {
                write(buffer.get());
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        synchronized void flushPartial() {
            if (partial.size() > 0) {
                endLine();
            }
        }

        private void endLine() {
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            LOG.debug("[{}] {}", pod, line);
            lines.addLast(line);
            if (lines.size() > MAX_LINES) {
                lines.removeFirst();
                dropped++;
            }
        }

        synchronized List<String> lines() {
            List<String> out = new ArrayList<>(lines.size() + 1);
            if (dropped > 0) {
                out.add("(" + dropped + " earlier lines dropped)");
            }
            out.addAll(lines);
            return out;
        }
    }

    /** The logs of one run, read when asked. */
    private final class JobRunLogs implements RunLogs {
        private final String job;
        private final String runLabelKey;
        private final String runLabelValue;
        private volatile List<String> complete;
        private volatile List<String> lastFetched;
        private volatile String location;

        JobRunLogs(String job, String runLabelKey, String runLabelValue) {
            this.job = job;
            this.runLabelKey = runLabelKey;
            this.runLabelValue = runLabelValue;
            this.location = "pods of Job " + job + " in namespace " + namespace;
        }

        @Override
        public List<String> lines() {
            List<String> done = complete;
            if (done != null) {
                return done;
            }
            List<PodStream> streams;
            boolean finished;
            synchronized (byJob) {
                JobLogs logs = byJob.get(job);
                streams = logs == null ? List.of() : new ArrayList<>(logs.pods.values());
                finished = logs != null && logs.finished;
            }
            if (!streams.isEmpty() && streams.stream().noneMatch(s -> s.failed)) {
                // a live run gives the lines so far; a finished one waits a little for its streams to drain
                boolean ended = finished ? awaitEnd(streams) : streams.stream().allMatch(s -> s.ended.isDone());
                List<String> lines = join(streams);
                location = describe(streams.stream().map(s -> s.pod).toList(), streams.get(0).container);
                if (ended) {
                    complete = lines;
                }
                return lines;
            }
            try {
                List<String> fetched = fetch();
                lastFetched = fetched;
                return fetched;
            } catch (KubernetesClientException e) {
                LOG.debug("cannot fetch the logs of Job {}: {}", job, e.getMessage());
                List<String> previous = lastFetched;
                return previous != null ? previous : streams.isEmpty() ? List.of() : join(streams);
            }
        }

        @Override
        public String location() {
            return location;
        }

        private boolean awaitEnd(List<PodStream> streams) {
            CompletableFuture<?> all = CompletableFuture.allOf(streams.stream().map(s -> s.ended)
                    .toArray(CompletableFuture[]::new));
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

        private List<String> join(List<PodStream> streams) {
            if (streams.size() == 1) {
                return streams.get(0).sink.lines();
            }
            List<String> out = new ArrayList<>();
            for (PodStream s : streams) {
                out.add("--- pod " + s.pod + " ---");
                out.addAll(s.sink.lines());
            }
            return out;
        }

        private List<String> fetch() {
            List<Pod> pods = new ArrayList<>(client.pods().inNamespace(namespace).withLabel(runLabelKey, runLabelValue)
                    .list().getItems());
            pods.sort(Comparator.comparing((Pod p) -> Optional.ofNullable(
                    JobStatuses.instant(p.getMetadata().getCreationTimestamp())).orElse(java.time.Instant.EPOCH))
                    .thenComparing(p -> p.getMetadata().getName()));
            List<String> out = new ArrayList<>();
            List<String> names = new ArrayList<>();
            String container = null;
            for (Pod p : pods) {
                String c = p.getSpec() == null || p.getSpec().getContainers() == null
                        || p.getSpec().getContainers().isEmpty() ? null : p.getSpec().getContainers().get(0).getName();
                container = c;
                if (c == null || !JobStatuses.hasStarted(p, c)) {
                    continue;
                }
                List<String> lines = read(p.getMetadata().getName(), c);
                names.add(p.getMetadata().getName());
                if (pods.size() > 1) {
                    out.add("--- pod " + p.getMetadata().getName() + " ---");
                }
                out.addAll(lines);
            }
            if (!names.isEmpty()) {
                location = describe(names, container);
            }
            return out;
        }

        private String describe(List<String> pods, String container) {
            return (pods.size() == 1 ? "pod " + pods.get(0) : "pods " + String.join(", ", pods))
                    + (container == null ? "" : " (container " + container + ")") + " of Job " + job
                    + " in namespace " + namespace;
        }
    }
}
