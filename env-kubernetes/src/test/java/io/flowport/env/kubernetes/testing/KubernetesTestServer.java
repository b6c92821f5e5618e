package io.flowport.env.kubernetes.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's mock API server in CRUD mode on 127.0.0.1, with what a test of a Kubernetes backend needs and the mock
 * lacks: pod logs that are served the way the API server serves them (read at once, or followed while the
 * container writes), a record of every request, and watches that break the way real ones do.
 *
 * <ul>
 *   <li>{@link #client()}: a fabric8 client for the server (plain HTTP, closed with the server);</li>
 *   <li>{@link #mock()}: the mock itself, for one-off expectations ({@code mock().expect()…}), which win over the
 *       CRUD store;</li>
 *   <li>{@link #log(String, String, String)}: the log of a pod's container; {@code GET …/pods/{pod}/log}
 *       answers with it ({@code tailLines} and {@code limitBytes} honoured), and with {@code follow=true} the
 *       answer stays open and carries what is {@linkplain PodLog#append appended} until the container
 *       {@linkplain PodLog#end ends}. Before the container {@linkplain PodLog#start starts}, the API server's
 *       400 answer;</li>
 *   <li>{@link #requests()} and {@link #count(String, String)}: what the server received;</li>
 *   <li>{@link #breakWatches}: the next watches of a resource say nothing for a while, then end with an
 *       {@code ERROR} event (410 Gone, 500 …), as an API server that restarts or compacts does.</li>
 * </ul>
 *
 * <p>Use it from a test's {@code @BeforeEach}/{@code @AfterEach}, or in try-with-resources. Another module uses
 * it through the {@code flowport-env-kubernetes} test-jar ({@code <type>test-jar</type>}) together with
 * {@code io.fabric8:kubernetes-server-mock} in test scope. Followed logs are served through a redirect to a
 * small HTTP server of this class (fabric8's clients follow redirects), because the mock cannot hold a response
 * open.
 */
public final class KubernetesTestServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesTestServer.class);
    private static final Pattern LOG_PATH = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)/log");
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private final Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    private final KubernetesMockServer mock;
    private final KubernetesClient client;
    private final HttpServer logServer;
    private final ExecutorService logThreads;
    private final ScheduledExecutorService timer;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, PodLog> logs = new ConcurrentHashMap<>();
    private final List<WatchBreak> breaks = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private KubernetesTestServer() {
        KubernetesMixedDispatcher crud = new KubernetesMixedDispatcher(responses);
        Dispatcher dispatcher = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return KubernetesTestServer.this.dispatch(request, crud);
            }

            @Override
            public void shutdown() {
                crud.shutdown();
            }
        };
        mock = new KubernetesMockServer(new Context(io.fabric8.kubernetes.client.utils.Serialization.jsonMapper()),
                new MockWebServer(), responses, dispatcher, false);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kubernetes-test-server-timer");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger seq = new AtomicInteger();
        logThreads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kubernetes-test-server-log-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            mock.init(loopback, 0);
            logServer = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the test API server", e);
        }
        logServer.setExecutor(logThreads);
        logServer.createContext("/follow/", this::follow);
        logServer.start();
        client = mock.createClient();
    }

    /** Starts a server on a free port of 127.0.0.1. */
    public static KubernetesTestServer start() {
        return new KubernetesTestServer();
    }

    /** A client of this server (closed with it). */
    public KubernetesClient client() {
        return client;
    }

    /** fabric8's mock, for expectations that win over the CRUD store. */
    public KubernetesMockServer mock() {
        return mock;
    }

    /** The server's base URL, e.g. {@code http://127.0.0.1:40123/}. */
    public String url() {
        return mock.url("/");
    }

    /** Every request received so far, in order (log redirects included, the followed streams not). */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** How many requests with this method went to exactly this path (without the query). */
    public long count(String method, String path) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().equals(path)).count();
    }

    /** The log of a pod's container, created (not started, empty) on first use. */
    public PodLog log(String namespace, String pod, String container) {
        return logs.computeIfAbsent(namespace + "/" + pod + "/" + container, k -> new PodLog());
    }

    /**
     * The next {@code times} watch requests on {@code path} (e.g. {@code /apis/batch/v1/namespaces/flows/jobs})
     * whose label selector is {@code labelSelector} (null: any) are accepted, stay silent for {@code silence} (so
     * changes made meanwhile reach them not), then get one {@code ERROR} event with a {@code Status} of
     * {@code code}: 410 makes a client list again, other codes make it watch again.
     */
    public void breakWatches(String path, String labelSelector, int code, Duration silence, int times) {
        breaks.add(new WatchBreak(path, labelSelector, code, silence, new AtomicInteger(times)));
    }

    @Override
    public void close() {
        closed = true;
        logs.values().forEach(PodLog::wake);
        client.close();
        logServer.stop(0);
        logThreads.shutdownNow();
        timer.shutdownNow();
        int port = mock.getPort();
        try {
            mock.destroy();
        } catch (IllegalStateException e) {
            // fabric8's mock (7.8) can deadlock for up to 30 s when a client closes a watch while an event is being
            // sent to it: WatchEventsListener.onClosed waits on the event loop for a send that needs the event
            // loop. Its server then fails to close within 10 s; it closes once the send times out (daemon threads).
            LOG.warn("the mock API server on port {} did not close in time ({}); it closes by itself shortly",
                    port, e.getMessage());
        }
    }

    private MockResponse dispatch(RecordedRequest recorded, Dispatcher crud) {
        // getBytes() leaves the body for the CRUD store (getUtf8Body() would consume it)
        byte[] body = recorded.getBody() == null ? new byte[0] : recorded.getBody().getBytes();
        Request request = Request.of(recorded.getMethod(), recorded.getPath(),
                new String(body, StandardCharsets.UTF_8));
        requests.add(request);
        Matcher log = LOG_PATH.matcher(request.path());
        if (request.method().equals("GET") && log.matches()) {
            return podLog(log.group(1), log.group(2), request);
        }
        if (request.isWatch()) {
            for (WatchBreak b : breaks) {
                if (b.matches(request) && b.remaining().getAndDecrement() > 0) {
                    return b.response(timer);
                }
            }
        }
        return crud.dispatch(recorded);
    }

    private MockResponse podLog(String namespace, String pod, Request request) {
        String container = request.query().get("container");
        PodLog log = container == null ? null : logs.get(namespace + "/" + pod + "/" + container);
        if (log == null || !log.started()) {
            return status(400, "BadRequest", "container \"" + container + "\" in pod \"" + pod
                    + "\" is waiting to start: ContainerCreating");
        }
        if (log.refusal() != null) {
            return status(log.refusal().getCode(), log.refusal().getReason(), log.refusal().getMessage());
        }
        if ("true".equals(request.query().get("follow"))) {
            String target = "http://127.0.0.1:" + logServer.getAddress().getPort() + "/follow/" + namespace + "/"
                    + pod + "/" + container;
            return new MockResponse().setResponseCode(302).setHeader("Location", target);
        }
        Integer tail = integer(request.query().get("tailLines"));
        Integer limit = integer(request.query().get("limitBytes"));
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain")
                .setBody(log.read(tail, limit));
    }

    private static Integer integer(String value) {
        return value == null ? null : Integer.valueOf(value);
    }

    private static MockResponse status(int code, String reason, String message) {
        Status status = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
                .withMessage(message).build();
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody(JSON.asJson(status));
    }

    /** Serves a followed log: what is there, then every append, until the container ends or the server closes. */
    private void follow(HttpExchange exchange) throws IOException {
        String[] parts = exchange.getRequestURI().getPath().substring("/follow/".length()).split("/");
        PodLog log = parts.length == 3 ? logs.get(parts[0] + "/" + parts[1] + "/" + parts[2]) : null;
        if (log == null) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(200, 0); // chunked: the length is not known
        log.followers.incrementAndGet();
        try (OutputStream out = exchange.getResponseBody()) {
            int offset = 0;
            while (!closed) {
                PodLog.Chunk chunk = log.await(offset);
                if (chunk.bytes().length > 0) {
                    out.write(chunk.bytes());
                    out.flush();
                    offset += chunk.bytes().length;
                }
                if (chunk.ended()) {
                    break;
                }
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            log.followers.decrementAndGet();
        }
    }

    /**
     * One container's log, as the kubelet would serve it. Thread-safe.
     */
    public static final class PodLog {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final AtomicInteger followers = new AtomicInteger();
        private boolean started;
        private boolean ended;
        private Status refusal;

        private PodLog() {
        }

        /** The container started: its log can be read and followed from now on. */
        public synchronized PodLog start() {
            started = true;
            notifyAll();
            return this;
        }

        /** Adds output (UTF-8) to the log; followers get it at once. */
        public synchronized PodLog append(String text) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            bytes.write(b, 0, b.length);
            notifyAll();
            return this;
        }

        /** The container ended: followed streams end after the last bytes. */
        public synchronized PodLog end() {
            started = true;
            ended = true;
            notifyAll();
            return this;
        }

        /** Answers every read of this log with an error {@code Status} of this code, as the API server would. */
        public synchronized PodLog refuse(int code, String reason, String message) {
            refusal = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
                    .withMessage(message).build();
            return this;
        }

        /** How many clients follow this log right now. */
        public int followers() {
            return followers.get();
        }

        /** The log as text. */
        public synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        synchronized boolean started() {
            return started;
        }

        synchronized Status refusal() {
            return refusal;
        }

        synchronized void wake() {
            notifyAll();
        }

        /** The log as a non-followed read gives it: the last {@code tail} lines, then the first {@code limit} bytes. */
        synchronized String read(Integer tail, Integer limit) {
            String text = text();
            if (tail != null) {
                List<String> lines = new ArrayList<>(Arrays.asList(text.split("(?<=\n)")));
                if (lines.size() == 1 && lines.get(0).isEmpty()) {
                    lines.clear();
                }
                text = String.join("", lines.subList(Math.max(0, lines.size() - tail), lines.size()));
            }
            if (limit != null) {
                byte[] b = text.getBytes(StandardCharsets.UTF_8);
                text = new String(b, 0, Math.min(limit, b.length), StandardCharsets.UTF_8);
            }
            return text;
        }

        /** Waits (bounded) until there is more than {@code offset} bytes or the log ended. */
        synchronized Chunk await(int offset) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (bytes.size() <= offset && !ended && System.nanoTime() < deadline) {
                try {
                    wait(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Chunk(new byte[0], true);
                }
            }
            byte[] all = bytes.toByteArray();
            return new Chunk(Arrays.copyOfRange(all, Math.min(offset, all.length), all.length), ended);
        }

        record Chunk(byte[] bytes, boolean ended) {
        }
    }

    /**
     * One request the server received.
     *
     * @param method the HTTP method
     * @param path   the path, without the query
     * @param query  the decoded query parameters
     * @param body   the body as UTF-8 text, empty if none
     */
    public record Request(String method, String path, Map<String, String> query, String body) {

        /** Copies the query. */
        public Request {
            query = Collections.unmodifiableMap(new LinkedHashMap<>(query));
            body = body == null ? "" : body;
        }

        static Request of(String method, String pathAndQuery, String body) {
            int q = pathAndQuery.indexOf('?');
            String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
            Map<String, String> query = new LinkedHashMap<>();
            if (q >= 0) {
                for (String pair : pathAndQuery.substring(q + 1).split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                    String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    query.put(key, value);
                }
            }
            return new Request(method, path, query, body);
        }

        /** Whether this is a watch ({@code watch=true}). */
        public boolean isWatch() {
            return "true".equals(query.get("watch"));
        }

        /** Whether this is a list: a GET of a collection that is not a watch. */
        public boolean isList(String collectionPath) {
            return method.equals("GET") && path.equals(collectionPath) && !isWatch();
        }

        /** The label selector, or null. */
        public String labelSelector() {
            return query.get("labelSelector");
        }
    }

    private record WatchBreak(String path, String labelSelector, int code, Duration silence,
                              AtomicInteger remaining) {

        boolean matches(Request r) {
            return r.path().equals(path) && (labelSelector == null || labelSelector.equals(r.labelSelector()));
        }

        MockResponse response(ScheduledExecutorService timer) {
            String event = JSON.asJson(new WatchEvent(new StatusBuilder().withStatus("Failure").withCode(code)
                    .withReason(code == 410 ? "Expired" : "InternalError")
                    .withMessage(code == 410 ? "too old resource version" : "the watch broke off").build(),
                    "ERROR"));
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onOpen(WebSocket webSocket, Response response) {
                    timer.schedule(() -> webSocket.send(event), silence.toMillis(), TimeUnit.MILLISECONDS);
                }
            });
        }
    }
}
