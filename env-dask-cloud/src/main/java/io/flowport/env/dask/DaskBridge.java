package io.flowport.env.dask;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.CommandSpec;
import io.flowport.core.FlowportException;
import io.flowport.core.LaunchException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Dask client, held by a Python process running Dask's own {@code distributed.Client}
 * ({@code flowport_dask_bridge.py}), driven through JSON lines on its stdin and stdout. Submitting is
 * non-blocking; outcomes complete futures. Thread-safe.
 */
final class DaskBridge implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DaskBridge.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STDERR_LINES = 40;

    private final Process process;
    private final Writer in;
    /** Lines to write to the bridge, in order; {@link #CLOSE} ends the writer. */
    private final java.util.concurrent.LinkedBlockingQueue<String> outbox = new java.util.concurrent.LinkedBlockingQueue<>();
    private static final String CLOSE = new String("close");
    private static final long BATCH_WINDOW_MS = 2;
    private final Map<String, CompletableFuture<Outcome>> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<JsonNode> ready = new CompletableFuture<>();
    private final Deque<String> stderr = new ArrayDeque<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile CompletableFuture<List<WorkerInfo>> workers;
    private volatile boolean closed;
    private volatile String version = "";

    private DaskBridge(Process process) {
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        Thread out = new Thread(this::readEvents, "flowport-dask-bridge-out");
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(this::readStderr, "flowport-dask-bridge-err");
        err.setDaemon(true);
        err.start();
        Thread writer = new Thread(this::writeCommands, "flowport-dask-bridge-in");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Starts the bridge and connects it to {@code address}. Blocking until connected.
     *
     * @param python        the Python interpreter that has Dask's {@code distributed} installed
     * @param tls           the client's TLS material, or null for Dask's own configuration
     * @param heartbeat     how often to show the scheduler that this client still lives (zero: never)
     * @throws LaunchException if the bridge cannot start or connect (the message has its error output)
     */
    static DaskBridge connect(String python, String address, DaskTls tls, Duration connectTimeout,
                              Duration heartbeat) {
        ProcessBuilder pb = new ProcessBuilder(python, "-u", io.flowport.env.dask.spi.DaskScripts.path(io.flowport.env.dask.spi.DaskScripts.BRIDGE).toString());
        Map<String, String> env = pb.environment();
        env.put("FLOWPORT_DASK_ADDRESS", address);
        env.put("FLOWPORT_DASK_CONNECT_TIMEOUT", Long.toString(Math.max(1, connectTimeout.toSeconds())));
        env.put("FLOWPORT_DASK_HEARTBEAT", Long.toString(heartbeat.toSeconds()));
        env.put("PYTHONUNBUFFERED", "1");
        if (tls != null) {
            env.putAll(tls.variables(DaskTls.Role.CLIENT));
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LaunchException("could not start the Dask client with '" + python + "' (set pythonExecutable"
                    + " to a Python that has Dask's distributed package, e.g. apt-get install python3-distributed): "
                    + e.getMessage(), e);
        }
        DaskBridge bridge = new DaskBridge(p);
        try {
            JsonNode r = bridge.ready.get(connectTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
            bridge.version = r.path("dask").asText();
            LOG.debug("Dask client {} connected to {}", bridge.version, r.path("scheduler").asText());
            return bridge;
        } catch (InterruptedException e) {
            bridge.close();
            Thread.currentThread().interrupt();
            throw new LaunchException("interrupted while connecting to the Dask scheduler " + address, e);
        } catch (ExecutionException | TimeoutException e) {
            bridge.close();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new LaunchException("could not connect to the Dask scheduler " + address + ": "
                    + cause.getMessage() + bridge.stderrTail(), cause);
        }
    }

    /** The version of Dask's client library on this side. */
    String version() {
        return version;
    }

    /**
     * Submits a command as a Dask task; returns at once.
     *
     * @param key unique per attempt (Dask's task key)
     */
    Submission submit(String key, CommandSpec spec, Map<String, Double> resources, Integer priority) {
        String id = Long.toString(ids.incrementAndGet());
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        pending.put(id, f);
        ObjectNode cmd = JSON.createObjectNode();
        cmd.put("op", "submit").put("id", id).put("key", key);
        cmd.set("command", JSON.valueToTree(spec.command()));
        cmd.set("env", JSON.valueToTree(spec.environment()));
        if (spec.workingDir() != null) {
            cmd.put("cwd", spec.workingDir().toString());
        }
        if (spec.timeout() != null) {
            cmd.put("timeout", spec.timeout().toMillis() / 1000.0);
        }
        if (resources != null && !resources.isEmpty()) {
            cmd.set("resources", JSON.valueToTree(resources));
        }
        if (priority != null) {
            cmd.put("priority", priority);
        }
        if (!send(cmd)) {
            pending.remove(id);
            f.complete(Outcome.failed("error", "the Dask client has stopped" + stderrTail()));
        }
        return new Submission(id, f);
    }

    /** Cancels a submitted task and kills its command where it runs. Non-blocking. */
    void cancel(String id) {
        ObjectNode cmd = JSON.createObjectNode();
        cmd.put("op", "cancel").put("id", id);
        send(cmd);
    }

    /** The workers the scheduler knows now. Blocking. */
    List<WorkerInfo> workers(Duration timeout) {
        CompletableFuture<List<WorkerInfo>> f = new CompletableFuture<>();
        workers = f;
        ObjectNode cmd = JSON.createObjectNode();
        cmd.put("op", "workers");
        send(cmd);
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlowportException("interrupted while asking the Dask scheduler for its workers", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new FlowportException("the Dask scheduler did not list its workers: " + e, e);
        }
    }

    private boolean send(ObjectNode cmd) {
        if (closed) {
            return false;
        }
        outbox.add(cmd.toString());
        return true;
    }

    /**
     * Writes what the task threads queued, many lines per write: commands sent together reach the bridge
     * together, and it submits them with one graph update. Waits a moment for more after the first line, as
     * Dask's own batched sends do, since a flow's ready tasks are submitted by many threads within microseconds.
     */
    private void writeCommands() {
        List<String> lines = new ArrayList<>();
        try {
            while (true) {
                String first = outbox.take();
                if (first == CLOSE) {
                    return;
                }
                lines.add(first);
                Thread.sleep(BATCH_WINDOW_MS);
                outbox.drainTo(lines);
                boolean close = lines.remove(CLOSE);
                synchronized (in) {
                    for (String l : lines) {
                        in.write(l);
                        in.write('\n');
                    }
                    in.flush();
                }
                lines.clear();
                if (close) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debug("could not write to the Dask client: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readEvents() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode e;
                try {
                    e = JSON.readTree(line);
                } catch (IOException ex) {
                    LOG.debug("Dask client: {}", line);
                    continue;
                }
                switch (e.path("event").asText()) {
                    case "ready" -> ready.complete(e);
                    case "done" -> complete(e.path("id").asText(), Outcome.done(e));
                    case "failed" -> complete(e.path("id").asText(),
                            Outcome.failed(e.path("kind").asText(), e.path("message").asText()));
                    case "workers" -> {
                        List<WorkerInfo> list = new ArrayList<>();
                        for (JsonNode w : e.path("workers")) {
                            list.add(new WorkerInfo(w.path("address").asText(), w.path("name").asText(),
                                    w.path("threads").asInt()));
                        }
                        CompletableFuture<List<WorkerInfo>> f = workers;
                        if (f != null) {
                            f.complete(list);
                        }
                    }
                    case "fatal" -> {
                        String message = e.path("message").asText();
                        if (!ready.isDone()) {
                            ready.completeExceptionally(new FlowportException(message));
                        } else {
                            LOG.warn("Dask client: {}", message);
                        }
                    }
                    default -> LOG.debug("Dask client: {}", line);
                }
            }
        } catch (IOException e) {
            LOG.debug("Dask client output closed: {}", e.toString());
        } finally {
            closed = true;
            String why = "the Dask client stopped" + (process.isAlive() ? "" : " (exit code "
                    + exitCode() + ")") + stderrTail();
            ready.completeExceptionally(new FlowportException(why));
            CompletableFuture<List<WorkerInfo>> f = workers;
            if (f != null) {
                f.completeExceptionally(new FlowportException(why));
            }
            for (String id : List.copyOf(pending.keySet())) {
                complete(id, Outcome.failed("error", why));
            }
        }
    }

    private int exitCode() {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void complete(String id, Outcome o) {
        CompletableFuture<Outcome> f = pending.remove(id);
        if (f != null) {
            f.complete(o);
        }
    }

    private void readStderr() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                LOG.debug("Dask client stderr: {}", line);
                synchronized (stderr) {
                    stderr.addLast(line.length() > 500 ? line.substring(0, 500) + "…" : line);
                    if (stderr.size() > STDERR_LINES) {
                        stderr.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // closed with the process
        }
    }

    private String stderrTail() {
        synchronized (stderr) {
            if (stderr.isEmpty()) {
                return "";
            }
            List<String> last = new ArrayList<>(stderr);
            return "; its last error output: " + String.join(" | ", last.subList(Math.max(0, last.size() - 5),
                    last.size()));
        }
    }

    /** Disconnects and stops the client process. Tasks still running on the cluster are left to it. Blocking. */
    @Override
    public void close() {
        if (!closed) {
            ObjectNode cmd = JSON.createObjectNode();
            cmd.put("op", "close");
            send(cmd);
        }
        outbox.add(CLOSE);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            synchronized (in) {
                in.close();
            }
        } catch (IOException e) {
            // already closed
        }
    }

    /** A submitted task: its id (to cancel it) and its outcome to come. */
    record Submission(String id, CompletableFuture<Outcome> outcome) {
    }

    /** A worker as the scheduler reports it. */
    record WorkerInfo(String address, String name, int threads) {
    }

    /**
     * What became of a task.
     *
     * @param kind     {@code done}, {@code worker-lost}, {@code cancelled} or {@code error}
     * @param exitCode the command's exit code (done only)
     * @param timedOut whether the command's own timeout killed it
     * @param message  the error (not done)
     */
    record Outcome(String kind, int exitCode, String stdout, String stderr, Duration duration, String worker,
                   boolean timedOut, String message) {

        static Outcome done(JsonNode e) {
            return new Outcome("done", e.path("exit").asInt(-1), e.path("stdout").asText(), e.path("stderr").asText(),
                    Duration.ofNanos((long) (e.path("seconds").asDouble() * 1e9)), e.path("worker").asText(),
                    e.path("timed_out").asBoolean(), "");
        }

        static Outcome failed(String kind, String message) {
            return new Outcome(kind, -1, "", "", Duration.ZERO, "", false, message);
        }
    }
}
