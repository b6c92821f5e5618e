package io.flowport.env.aci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stateful stand-in for Azure Resource Manager's Container Instances API ({@code api-version=2023-05-01}) on
 * 127.0.0.1, speaking ARM's JSON over plain HTTP, so that the real Azure SDK can be driven against it.
 *
 * <p>Like ACI: a create (PUT) answers 201 with {@code provisioningState: Pending} and an
 * {@code Azure-AsyncOperation} URL; a PUT on an existing group is an update that <em>restarts</em> its containers
 * (counted in {@link #restarts}); a delete answers 202 with a {@code Location} URL that answers 202 until the
 * group is gone, then 200; {@code Retry-After} on long-running operations is configurable; lists leave out
 * instance views (container states, events), single reads carry them; secure values are accepted and never
 * returned. Groups move Pending → Running → Terminated by the test ({@link #start}, {@link #exit},
 * {@link #failToStart}) or by themselves ({@link #autoRun}). Faults per operation ({@link #inject}): error answers
 * with ARM codes and {@code Retry-After}, answers lost after the request was applied; token buckets for reads and
 * writes answer 429 with {@code Retry-After} like ARM's throttling.
 */
public final class LocalArmServer implements AutoCloseable {

    static final String SUBSCRIPTION = "00000000-0000-0000-0000-0000000000a1";
    static final String RESOURCE_GROUP = "flows";
    static final String LOCATION = "westeurope";
    static final String API_VERSION = "2023-05-01";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GROUPS = Pattern.compile(
            "/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.ContainerInstance/containerGroups"
                    + "(?:/([^/]+)(?:/(stop|restart|start|containers/([^/]+)/logs))?)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern LOCATIONS = Pattern.compile(
            "/subscriptions/([^/]+)/providers/Microsoft\\.ContainerInstance/locations/([^/]+)/"
                    + "(capabilities|operations/([^/]+)|operationResults/([^/]+))", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final HttpServer http;
    private final ExecutorService pool;
    private final ScheduledExecutorService timers;

    // ---- state (guarded by this)
    private final Map<String, Group> groups = new TreeMap<>();
    private final Map<String, Operation> operations = new HashMap<>();
    private final Set<String> resourceGroups = ConcurrentHashMap.newKeySet();
    private final List<String> putBodies = Collections.synchronizedList(new ArrayList<>());
    private final List<String> responseBodies = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Integer> createdPerName = new ConcurrentHashMap<>();
    private final Map<String, Instant> exits = new ConcurrentHashMap<>();

    // ---- observability
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final List<Call> log = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger restarts = new AtomicInteger();
    private final AtomicLong lostAnswers = new AtomicLong();
    private final Map<String, AtomicInteger> throttledByOperation = new ConcurrentHashMap<>();
    private final AtomicInteger getsSinceList = new AtomicInteger();
    private final List<Integer> getsPerPoll = Collections.synchronizedList(new ArrayList<>());

    // ---- behaviour
    private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();
    private volatile Duration latency = Duration.ZERO;
    private volatile int lroRetryAfterSeconds;
    private volatile Duration deleteDuration = Duration.ZERO;
    private volatile int pageSize = 1000;
    private volatile boolean listIncludesInstanceView;
    private volatile double loseCreateAnswerRate;
    private volatile TokenBucket readLimit;
    private volatile TokenBucket writeLimit;
    private volatile AutoRun auto;
    private volatile List<ObjectNode> capabilities = defaultCapabilities();

    /** Starts a server on a free port of 127.0.0.1 with 32 request threads. */
    public LocalArmServer() throws IOException {
        this(32);
    }

    /** Starts a server with {@code threads} request threads. */
    public LocalArmServer(int threads) throws IOException {
        this(threads, null);
    }

    /** Starts a server that speaks HTTPS with {@code tls} (for the credential path, which needs https). */
    public static LocalArmServer https(javax.net.ssl.SSLContext tls) throws IOException {
        return new LocalArmServer(8, tls);
    }

    private LocalArmServer(int threads, javax.net.ssl.SSLContext tls) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            http = HttpServer.create(address, 512);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(address, 512);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            http = https;
        }
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "local-arm-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "local-arm-timer");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(pool);
        http.createContext("/", this::handle);
        http.start();
        resourceGroups.add(RESOURCE_GROUP);
    }

    /** The Resource Manager endpoint to give the SDK. */
    public URI endpoint() {
        String scheme = http instanceof com.sun.net.httpserver.HttpsServer ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + http.getAddress().getPort());
    }

    /** The Authorization headers received (one per request; "" when absent). */
    public List<String> authorizations() {
        synchronized (authorizations) {
            return new ArrayList<>(authorizations);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
        timers.shutdownNow();
    }

    // ------------------------------------------------------------------------------------------ test controls

    /** Moves a group to running: provisioning succeeded, container started. */
    public synchronized void start(String name) {
        Group g = group(name);
        g.provisioningState = "Succeeded";
        g.groupState = "Running";
        g.containerState = "Running";
        g.detail = "";
        g.startTime = Instant.now();
        g.event("Pulling", "pulling image \"" + g.image() + "\"", "Normal");
        g.event("Pulled", "Successfully pulled image \"" + g.image() + "\"", "Normal");
        g.event("Started", "Started container", "Normal");
    }

    /** Makes the flow's container exit with {@code code}. */
    public void exit(String name, int code) {
        exit(name, code, code == 0 ? "Completed" : "Error");
    }

    /** Makes the flow's container exit with {@code code} and a detail status such as {@code OOMKilled}. */
    public synchronized void exit(String name, int code, String detail) {
        Group g = group(name);
        if (g.startTime == null) {
            start(name);
        }
        g.containerState = "Terminated";
        g.exitCode = code;
        g.detail = detail;
        g.finishTime = Instant.now();
        g.groupState = code == 0 ? "Succeeded" : "Failed";
        exits.put(g.name, g.finishTime);
    }

    /** Makes a pending group fail to start, as ACI does when it cannot pull the image or place the group. */
    public synchronized void failToStart(String name, String reason) {
        Group g = group(name);
        g.provisioningState = "Failed";
        g.groupState = "Failed";
        g.containerState = "Waiting";
        g.detail = "ImagePullBackOff";
        g.event("Failed", reason, "Warning");
    }

    /** Adds a warning event to a pending group's container (a pull back-off …). */
    public synchronized void warn(String name, String eventName, String message) {
        group(name).event(eventName, message, "Warning");
    }

    /** Creates a group that Flowport did not create (no Flowport tags), as another tool would. */
    public synchronized void createForeign(String name) {
        ObjectNode spec = JSON.createObjectNode();
        spec.putObject("tags").put("owner", "someone-else");
        ObjectNode props = spec.putObject("properties");
        props.putArray("containers").addObject().put("name", "app").putObject("properties").put("image", "nginx");
        props.put("osType", "Linux");
        Group g = new Group(RESOURCE_GROUP, name, LOCATION, spec);
        groups.put(name, g);
    }

    /** Deletes a group at once, as someone else would. */
    public synchronized void remove(String name) {
        groups.remove(name);
    }

    /** Appends lines to a group's container log. */
    public synchronized void log(String name, String... lines) {
        Collections.addAll(group(name).log, lines);
    }

    /** Groups provision for {@code provision}, then run {@code run} and exit (code and output from {@code sh -c}). */
    public void autoRun(Duration provision, Duration run) {
        auto = new AutoRun(provision, run);
    }

    /** Queues a fault for the next request of {@code operation} (List, Get, Put, Delete, Stop, Logs …). */
    public void inject(String operation, Fault fault) {
        faults.computeIfAbsent(operation, k -> new ArrayDeque<>()).add(fault);
    }

    /** Loses this share of create answers after the group was created (the benchmark's lost answers). */
    public void loseCreateAnswers(double rate) {
        loseCreateAnswerRate = rate;
    }

    /** Adds latency to every answer. */
    public void latency(Duration d) {
        latency = d;
    }

    /** {@code Retry-After} seconds on long-running operation answers (0 = let the client choose). */
    public void lroRetryAfter(int seconds) {
        lroRetryAfterSeconds = seconds;
    }

    /** How long a delete stays in progress. */
    public void deleteDuration(Duration d) {
        deleteDuration = d;
    }

    /** Groups per list page (ARM pages with nextLink). */
    public void pageSize(int n) {
        pageSize = n;
    }

    /** Makes lists carry instance views (ARM's do not; for the test that shows the difference). */
    public void listIncludesInstanceView(boolean v) {
        listIncludesInstanceView = v;
    }

    /** ARM-like throttling: reads and writes per second with bursts; excess answers 429 with Retry-After. */
    public void rateLimit(double readsPerSecond, int readBurst, double writesPerSecond, int writeBurst) {
        readLimit = new TokenBucket(readsPerSecond, readBurst);
        writeLimit = new TokenBucket(writesPerSecond, writeBurst);
    }

    /** Replaces the location's capabilities. */
    public void capabilities(List<ObjectNode> value) {
        capabilities = value;
    }

    /** A capability entry like ACI's. */
    static ObjectNode capability(String osType, String gpu, double maxCpu, double maxMemoryGb, int maxGpus) {
        ObjectNode c = JSON.createObjectNode();
        c.put("resourceType", "containerGroups").put("osType", osType).put("location", "West Europe")
                .put("ipAddressType", "Public").put("gpu", gpu);
        c.putObject("capabilities").put("maxMemoryInGB", maxMemoryGb).put("maxCpu", maxCpu)
                .put("maxGpuCount", maxGpus);
        return c;
    }

    private static List<ObjectNode> defaultCapabilities() {
        return List.of(capability("Linux", "None", 4, 16, 0), capability("Windows", "None", 4, 16, 0),
                capability("Linux", "V100", 24, 448, 4));
    }

    // ------------------------------------------------------------------------------------------ observations

    /** Calls per operation so far. */
    public Map<String, Integer> calls() {
        Map<String, Integer> m = new TreeMap<>();
        calls.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Calls of one operation so far. */
    public int calls(String operation) {
        AtomicInteger n = calls.get(operation);
        return n == null ? 0 : n.get();
    }

    /** Every request so far. */
    public int totalCalls() {
        return calls.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** The requests received, in order. */
    public List<Call> callLog() {
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    /** The raw bodies of every PUT received. */
    public List<String> putBodies() {
        synchronized (putBodies) {
            return new ArrayList<>(putBodies);
        }
    }

    /** The bodies of every answer sent. */
    public List<String> responseBodies() {
        synchronized (responseBodies) {
            return new ArrayList<>(responseBodies);
        }
    }

    /** Updates of existing groups (which restart their containers on ACI). */
    public int restarts() {
        return restarts.get();
    }

    /** Groups created per name (a name created twice was deleted in between). */
    public Map<String, Integer> createdPerName() {
        return new TreeMap<>(createdPerName);
    }

    /** Answers lost after the request was applied. */
    public long lostAnswers() {
        return lostAnswers.get();
    }

    /** 429 answers per operation. */
    public Map<String, Integer> throttled() {
        Map<String, Integer> m = new TreeMap<>();
        throttledByOperation.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Reads of single existing groups between consecutive lists (one entry per list). */
    public List<Integer> getsPerPoll() {
        synchronized (getsPerPoll) {
            return new ArrayList<>(getsPerPoll);
        }
    }

    /** The names of the groups that exist now. */
    public synchronized Set<String> groupNames() {
        return new java.util.TreeSet<>(groups.keySet());
    }

    /** When each group's container exited (kept after the group is deleted). */
    public Map<String, Instant> exits() {
        return new HashMap<>(exits);
    }

    /** When a group's container finished, or null. */
    public synchronized Instant finishTime(String name) {
        Group g = groups.get(name);
        return g == null ? null : g.finishTime;
    }

    /** The state the group is in: provisioning/group/container. */
    public synchronized String state(String name) {
        Group g = groups.get(name);
        return g == null ? "absent" : g.provisioningState + "/" + g.groupState + "/" + g.containerState;
    }

    // ------------------------------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) throws IOException {
        try {
            if (!latency.isZero()) {
                Thread.sleep(latency.toMillis());
            }
            route(ex);
        } catch (LostAnswer e) {
            lostAnswers.incrementAndGet(); // applied; closing without response headers drops the connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            send(ex, 500, error("InternalServerError", e.toString()), Map.of());
        } finally {
            ex.close();
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        authorizations.add(auth == null ? "" : auth);
        String path = ex.getRequestURI().getRawPath().replaceAll("/{2,}", "/");
        Map<String, String> query = query(ex.getRequestURI().getRawQuery());
        byte[] body = ex.getRequestBody().readAllBytes();
        Matcher gm = GROUPS.matcher(path);
        Matcher lm = LOCATIONS.matcher(path);
        String op;
        if (gm.matches()) {
            String name = gm.group(3);
            String action = gm.group(4);
            if (name == null) {
                op = "List";
            } else if (action == null) {
                op = switch (method) {
                    case "GET" -> "Get";
                    case "PUT" -> "Put";
                    case "DELETE" -> "Delete";
                    default -> "Other";
                };
            } else if (action.toLowerCase().startsWith("containers")) {
                op = "Logs";
            } else {
                op = action.substring(0, 1).toUpperCase() + action.substring(1);
            }
        } else if (lm.matches()) {
            op = lm.group(3).equalsIgnoreCase("capabilities") ? "Capabilities"
                    : lm.group(4) != null ? "AsyncOperation" : "OperationResult";
        } else {
            count("Unknown", null, 404, Map.of());
            send(ex, 404, error("InvalidResourceType", "no route for " + method + " " + path), Map.of());
            return;
        }
        String name = gm.matches() ? gm.group(3) : null;
        if (!API_VERSION.equals(query.get("api-version"))) {
            count(op, name, 400, query);
            send(ex, 400, error("InvalidApiVersionParameter", "api-version " + query.get("api-version")
                    + " is not supported here; use " + API_VERSION), Map.of());
            return;
        }
        TokenBucket limit = "GET".equals(method) ? readLimit : writeLimit;
        if (limit != null) {
            double wait = limit.take();
            if (wait > 0) {
                count(op, name, 429, query);
                throttledByOperation.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
                send(ex, 429, error("SubscriptionRequestsThrottled", "Number of requests for subscription '"
                        + SUBSCRIPTION + "' exceeded the limit"), Map.of("Retry-After",
                        String.valueOf((long) Math.ceil(wait))));
                return;
            }
        }
        Fault fault = nextFault(op);
        if (fault != null && !fault.applyFirst && fault.status > 0) {
            count(op, name, fault.status, query);
            if (fault.status == 429) {
                throttledByOperation.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
            }
            Map<String, String> h = fault.retryAfter >= 0 ? Map.of("Retry-After", String.valueOf(fault.retryAfter))
                    : Map.of();
            send(ex, fault.status, error(fault.code, "injected " + fault.code), h);
            return;
        }
        Answer a;
        synchronized (this) {
            sweep();
            if (gm.matches()) {
                a = groupsRoute(op, gm.group(1), gm.group(2), name, gm.group(5), method, query, body);
            } else {
                a = locationsRoute(op, lm);
            }
        }
        count(op, name, a.status, query);
        if (fault != null && fault.loseAnswer) {
            throw new LostAnswer();
        }
        if ("Put".equals(op) && loseCreateAnswerRate > 0 && a.status == 201
                && java.util.concurrent.ThreadLocalRandom.current().nextDouble() < loseCreateAnswerRate) {
            throw new LostAnswer();
        }
        if (fault != null && fault.applyFirst) {
            send(ex, fault.status, error(fault.code, "injected " + fault.code + " after applying"), Map.of());
            return;
        }
        send(ex, a.status, a.body, a.headers);
    }

    private Answer groupsRoute(String op, String sub, String rg, String name, String container, String method,
                               Map<String, String> query, byte[] body) throws IOException {
        if (!SUBSCRIPTION.equalsIgnoreCase(sub)) {
            return new Answer(404, error("SubscriptionNotFound", "The subscription '" + sub + "' could not be found."));
        }
        if (!resourceGroups.contains(rg)) {
            return new Answer(404, error("ResourceGroupNotFound", "Resource group '" + rg + "' could not be found."));
        }
        String key = name == null ? null : name.toLowerCase();
        Group g = key == null ? null : groups.get(key);
        switch (op) {
            case "List": {
                List<Group> all = new ArrayList<>();
                for (Group x : groups.values()) {
                    if (x.rg.equals(rg)) {
                        all.add(x);
                    }
                }
                int from = query.containsKey("$skipToken") ? Integer.parseInt(query.get("$skipToken")) : 0;
                int to = Math.min(all.size(), from + pageSize);
                ObjectNode page = JSON.createObjectNode();
                ArrayNode value = page.putArray("value");
                for (Group x : all.subList(from, to)) {
                    value.add(x.json(listIncludesInstanceView));
                }
                if (to < all.size()) {
                    page.put("nextLink", endpoint() + "/subscriptions/" + sub + "/resourceGroups/" + rg
                            + "/providers/Microsoft.ContainerInstance/containerGroups?api-version=" + API_VERSION
                            + "&$skipToken=" + to);
                }
                if (from == 0) {
                    getsPerPoll.add(getsSinceList.getAndSet(0));
                }
                return new Answer(200, page.toString());
            }
            case "Get":
                if (g == null) {
                    return notFound(name);
                }
                getsSinceList.incrementAndGet();
                return new Answer(200, g.json(true).toString());
            case "Put":
                return put(sub, rg, name, key, g, body);
            case "Delete": {
                if (g == null) {
                    return new Answer(204, "");
                }
                g.provisioningState = "Deleting";
                Operation o = new Operation(key, g, "delete", Instant.now().plus(deleteDuration));
                operations.put(o.id, o);
                Map<String, String> h = new LinkedHashMap<>();
                h.put("Location", endpoint() + "/subscriptions/" + sub + "/providers/Microsoft.ContainerInstance/"
                        + "locations/" + g.location + "/operationResults/" + o.id + "?api-version=" + API_VERSION);
                h.put("Retry-After", String.valueOf(lroRetryAfterSeconds));
                return new Answer(202, "", h);
            }
            case "Stop":
                if (g == null) {
                    return notFound(name);
                }
                if (!"Terminated".equals(g.containerState)) {
                    g.containerState = "Terminated";
                    g.detail = "Killed";
                    g.finishTime = Instant.now();
                }
                g.groupState = "Stopped";
                if (!"Succeeded".equals(g.provisioningState) && !"Failed".equals(g.provisioningState)) {
                    g.provisioningState = "Succeeded";
                }
                g.event("Killing", "Killing container with id " + g.name, "Normal");
                return new Answer(204, "");
            case "Logs": {
                if (g == null || !g.containerName().equals(container)) {
                    return notFound(name);
                }
                List<String> lines = g.log;
                if (query.containsKey("tail")) {
                    int n = Integer.parseInt(query.get("tail"));
                    lines = lines.subList(Math.max(0, lines.size() - n), lines.size());
                }
                ObjectNode o = JSON.createObjectNode();
                o.put("content", lines.isEmpty() ? "" : String.join("\n", lines) + "\n");
                return new Answer(200, o.toString());
            }
            default:
                return new Answer(405, error("MethodNotAllowed", op + " is not served here"));
        }
    }

    private Answer put(String sub, String rg, String name, String key, Group existing, byte[] body) throws IOException {
        String raw = new String(body, StandardCharsets.UTF_8);
        putBodies.add(raw);
        JsonNode req = JSON.readTree(raw);
        if (name == null || !NAME.matcher(name).matches() || name.contains("--")) {
            return new Answer(400, error("InvalidContainerGroupName", "The container group name '" + name
                    + "' is invalid."));
        }
        JsonNode props = req.path("properties");
        if (!req.hasNonNull("location") || !props.path("containers").isArray() || props.path("containers").isEmpty()
                || !props.hasNonNull("osType")) {
            return new Answer(400, error("InvalidRequestContent", "location, properties.containers and "
                    + "properties.osType are required"));
        }
        if (existing != null) {
            // ACI: a PUT on an existing group is an update that restarts its containers
            restarts.incrementAndGet();
            existing.puts++;
            existing.spec = strip((ObjectNode) req.deepCopy());
            existing.resetToPending();
            scheduleAuto(existing);
            return new Answer(200, existing.json(false).toString());
        }
        Group g = new Group(rg, name, req.get("location").asText(), strip((ObjectNode) req.deepCopy()));
        groups.put(key, g);
        createdPerName.merge(name, 1, Integer::sum);
        Operation o = new Operation(key, g, "create", null);
        operations.put(o.id, o);
        scheduleAuto(g);
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Azure-AsyncOperation", endpoint() + "/subscriptions/" + sub + "/providers/Microsoft.ContainerInstance/"
                + "locations/" + g.location + "/operations/" + o.id + "?api-version=" + API_VERSION);
        h.put("Retry-After", String.valueOf(lroRetryAfterSeconds));
        return new Answer(201, g.json(false).toString(), h);
    }

    private Answer locationsRoute(String op, Matcher m) {
        switch (op) {
            case "Capabilities": {
                ObjectNode o = JSON.createObjectNode();
                ArrayNode v = o.putArray("value");
                if (!LOCATION.equals(m.group(2))) {
                    return new Answer(400, error("LocationNotAvailableForResourceType", "The provided location '"
                            + m.group(2) + "' is not available for resource type "
                            + "'Microsoft.ContainerInstance/containerGroups'."));
                }
                capabilities.forEach(v::add);
                return new Answer(200, o.toString());
            }
            case "AsyncOperation": {
                Operation o = operations.get(m.group(4));
                if (o == null) {
                    return new Answer(404, error("OperationNotFound", "no operation " + m.group(4)));
                }
                Group g = groups.get(o.group) == o.target ? o.target : null;
                ObjectNode r = JSON.createObjectNode();
                r.put("id", o.id).put("name", o.id);
                String status = g == null ? "Canceled" : switch (g.provisioningState) {
                    case "Succeeded" -> "Succeeded";
                    case "Failed" -> "Failed";
                    default -> "InProgress";
                };
                r.put("status", status);
                if ("Failed".equals(status)) {
                    r.putObject("error").put("code", "ContainerGroupDeploymentFailed")
                            .put("message", g.lastWarning());
                }
                return new Answer(200, r.toString(), Map.of("Retry-After", String.valueOf(lroRetryAfterSeconds)));
            }
            default: {
                Operation o = operations.get(m.group(5));
                if (o == null) {
                    return new Answer(404, error("OperationNotFound", "no operation " + m.group(5)));
                }
                if (groups.get(o.group) == o.target) {
                    return new Answer(202, "", Map.of("Location", endpoint() + "/subscriptions/" + SUBSCRIPTION
                            + "/providers/Microsoft.ContainerInstance/locations/" + LOCATION + "/operationResults/"
                            + o.id + "?api-version=" + API_VERSION,
                            "Retry-After", String.valueOf(lroRetryAfterSeconds)));
                }
                operations.remove(o.id);
                return new Answer(200, "");
            }
        }
    }

    /** Removes groups whose delete has completed. */
    private void sweep() {
        Instant now = Instant.now();
        for (Operation o : operations.values()) {
            if ("delete".equals(o.kind) && !o.doneAt.isAfter(now) && groups.get(o.group) == o.target) {
                groups.remove(o.group);
            }
        }
    }

    private void scheduleAuto(Group g) {
        AutoRun a = auto;
        if (a == null) {
            return;
        }
        int generation = g.generation;
        timers.schedule(() -> {
            synchronized (this) {
                if (groups.get(g.name) == g && g.generation == generation && "Pending".equals(g.provisioningState)) {
                    start(g.name);
                    g.log.addAll(g.simulatedOutput());
                }
            }
        }, a.provision.toMillis(), TimeUnit.MILLISECONDS);
        timers.schedule(() -> {
            synchronized (this) {
                if (groups.get(g.name) == g && g.generation == generation && "Running".equals(g.containerState)) {
                    exit(g.name, g.simulatedExitCode());
                }
            }
        }, a.provision.plus(a.run).toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ObjectNode strip(ObjectNode req) {
        for (JsonNode c : req.path("properties").path("containers")) {
            for (JsonNode v : c.path("properties").path("environmentVariables")) {
                ((ObjectNode) v).remove("secureValue"); // ACI never returns secure values
            }
        }
        for (JsonNode c : req.path("properties").path("imageRegistryCredentials")) {
            ((ObjectNode) c).remove("password");
        }
        return req;
    }

    private Group group(String name) {
        Group g = groups.get(name.toLowerCase());
        if (g == null) {
            throw new IllegalArgumentException("no container group " + name);
        }
        return g;
    }

    private Fault nextFault(String op) {
        Deque<Fault> q = faults.get(op);
        if (q == null) {
            return null;
        }
        synchronized (q) {
            return q.poll();
        }
    }

    private void count(String op, String name, int status, Map<String, String> query) {
        calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
        log.add(new Call(op, name, System.nanoTime(), status, query));
    }

    private Answer notFound(String name) {
        return new Answer(404, error("ResourceNotFound", "The Resource 'Microsoft.ContainerInstance/containerGroups/"
                + name + "' under resource group '" + RESOURCE_GROUP + "' was not found."));
    }

    private static String error(String code, String message) {
        ObjectNode o = JSON.createObjectNode();
        o.putObject("error").put("code", code).put("message", message);
        return o.toString();
    }

    private void send(HttpExchange ex, int status, String body, Map<String, String> headers) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!body.isEmpty()) {
            responseBodies.add(body);
            ex.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        }
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.getResponseHeaders().add("x-ms-request-id", UUID.randomUUID().toString());
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return m;
        }
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
            m.put(k, v);
        }
        return m;
    }

    // ------------------------------------------------------------------------------------------ model

    /** One request as the server saw it. */
    public record Call(String operation, String group, long nanos, int status, Map<String, String> query) {
    }

    /** An injected fault. */
    public static final class Fault {
        final int status;
        final String code;
        final int retryAfter;
        final boolean applyFirst;
        final boolean loseAnswer;

        private Fault(int status, String code, int retryAfter, boolean applyFirst, boolean loseAnswer) {
            this.status = status;
            this.code = code;
            this.retryAfter = retryAfter;
            this.applyFirst = applyFirst;
            this.loseAnswer = loseAnswer;
        }

        /** An error answer; the request is not applied. {@code retryAfter} < 0: no header. */
        public static Fault error(int status, String code, int retryAfter) {
            return new Fault(status, code, retryAfter, false, false);
        }

        /** ARM's throttling answer with {@code Retry-After}. */
        public static Fault throttle(int retryAfterSeconds) {
            return error(429, "SubscriptionRequestsThrottled", retryAfterSeconds);
        }

        /** The request is applied, then answered with an error (an ambiguous 5xx). */
        public static Fault errorAfterApplying(int status, String code) {
            return new Fault(status, code, -1, true, false);
        }

        /** The request is applied, then the connection closes without an answer. */
        public static Fault loseAnswer() {
            return new Fault(0, null, -1, false, true);
        }
    }

    private static final class LostAnswer extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private record Answer(int status, String body, Map<String, String> headers) {
        Answer(int status, String body) {
            this(status, body, Map.of());
        }
    }

    private record AutoRun(Duration provision, Duration run) {
    }

    private static final class Operation {
        final String id = UUID.randomUUID().toString();
        final String group;
        final Group target;
        final String kind;
        final Instant doneAt;

        Operation(String group, Group target, String kind, Instant doneAt) {
            this.group = group;
            this.target = target;
            this.kind = kind;
            this.doneAt = doneAt;
        }
    }

    private static final class TokenBucket {
        private final double rate;
        private final double capacity;
        private double tokens;
        private long at = System.nanoTime();

        TokenBucket(double rate, int burst) {
            this.rate = rate;
            this.capacity = burst;
            this.tokens = burst;
        }

        /** Takes a token; returns 0, or the seconds until one is available (nothing taken). */
        synchronized double take() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - at) / 1e9 * rate);
            at = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (1 - tokens) / rate;
        }
    }

    private final class Group {
        final String rg;
        final String name;
        final String location;
        ObjectNode spec;
        String provisioningState = "Pending";
        String groupState = "Pending";
        String containerState = "Waiting";
        String detail = "ContainerCreating";
        Integer exitCode;
        Instant startTime;
        Instant finishTime;
        final List<ObjectNode> events = new ArrayList<>();
        final List<String> log = new ArrayList<>();
        int puts = 1;
        int generation;

        Group(String rg, String name, String location, ObjectNode spec) {
            this.rg = rg;
            this.name = name;
            this.location = location;
            this.spec = spec;
        }

        JsonNode container() {
            return spec.path("properties").path("containers").path(0);
        }

        String containerName() {
            return container().path("name").asText();
        }

        String image() {
            return container().path("properties").path("image").asText();
        }

        void resetToPending() {
            generation++;
            provisioningState = "Pending";
            groupState = "Pending";
            containerState = "Waiting";
            detail = "ContainerCreating";
            exitCode = null;
            startTime = null;
            finishTime = null;
            log.clear();
        }

        void event(String eventName, String message, String type) {
            ObjectNode e = JSON.createObjectNode();
            String now = Instant.now().toString();
            e.put("count", 1).put("firstTimestamp", now).put("lastTimestamp", now).put("name", eventName)
                    .put("message", message).put("type", type);
            events.add(e);
        }

        String lastWarning() {
            for (int i = events.size() - 1; i >= 0; i--) {
                if ("Warning".equals(events.get(i).path("type").asText())) {
                    return events.get(i).path("message").asText();
                }
            }
            return "deployment failed";
        }

        List<String> command() {
            List<String> c = new ArrayList<>();
            container().path("properties").path("command").forEach(n -> c.add(n.asText()));
            return c;
        }

        /** The echo lines of an {@code sh -c} command. */
        List<String> simulatedOutput() {
            List<String> out = new ArrayList<>();
            List<String> c = command();
            if (c.size() == 3 && c.get(0).equals("sh") && c.get(1).equals("-c")) {
                for (String part : c.get(2).split(";")) {
                    String p = part.trim();
                    if (p.startsWith("echo ")) {
                        out.add(p.substring(5).replaceAll("^['\"]|['\"]$", ""));
                    }
                }
            }
            return out;
        }

        /** The exit code of an {@code sh -c "…; exit N"} command, else 0. */
        int simulatedExitCode() {
            List<String> c = command();
            if (c.size() == 3 && c.get(0).equals("sh") && c.get(1).equals("-c")) {
                Matcher m = Pattern.compile("exit (\\d+)").matcher(c.get(2));
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            return 0;
        }

        ObjectNode json(boolean instanceView) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", "/subscriptions/" + SUBSCRIPTION + "/resourceGroups/" + rg
                    + "/providers/Microsoft.ContainerInstance/containerGroups/" + name);
            o.put("name", name);
            o.put("type", "Microsoft.ContainerInstance/containerGroups");
            o.put("location", location);
            if (spec.has("tags")) {
                o.set("tags", spec.get("tags"));
            }
            if (spec.has("identity")) {
                o.set("identity", spec.get("identity"));
            }
            ObjectNode props = ((ObjectNode) spec.path("properties")).deepCopy();
            props.put("provisioningState", provisioningState);
            props.put("sku", "Standard");
            if (instanceView) {
                ObjectNode c0 = (ObjectNode) props.path("containers").path(0).path("properties");
                ObjectNode view = c0.putObject("instanceView");
                view.put("restartCount", 0);
                ObjectNode cur = view.putObject("currentState");
                cur.put("state", containerState);
                if (startTime != null) {
                    cur.put("startTime", startTime.toString());
                }
                if (exitCode != null) {
                    cur.put("exitCode", exitCode);
                }
                if (finishTime != null) {
                    cur.put("finishTime", finishTime.toString());
                }
                cur.put("detailStatus", detail);
                ArrayNode ev = view.putArray("events");
                events.forEach(ev::add);
                ObjectNode gv = props.putObject("instanceView");
                gv.putArray("events");
                gv.put("state", groupState);
            }
            o.set("properties", props);
            return o;
        }
    }
}
