package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stateful stand-in for ECS, STS and CloudWatch Logs on 127.0.0.1, speaking their real wire protocols (JSON 1.1
 * routed by {@code X-Amz-Target}; STS query form POST answered in XML), so that the real SDK clients can be
 * driven against it with {@code endpointOverride}.
 *
 * <p>Tasks go PROVISIONING → PENDING → RUNNING → STOPPED, either driven by the test ({@link #start},
 * {@link #exit}, {@link #failToStart}) or on their own ({@link #autoRun}), where {@code sh -c "echo ..; sleep
 * ..; exit N"} commands are simulated. Faults can be injected per operation ({@link #inject}), rates limited
 * with token buckets ({@link #rateLimit}) and latency added ({@link #latency}).
 */
public final class LocalAwsServer implements AutoCloseable {

    static final String ACCOUNT = "123456789012";
    static final String REGION = "us-east-1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)/");

    private final HttpServer http;
    private final ExecutorService pool;

    // ---- observability
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> keysByOperation = new ConcurrentHashMap<>();
    private final AtomicInteger maxDescribeBatch = new AtomicInteger();
    private final List<int[]> polls = Collections.synchronizedList(new ArrayList<>()); // {calls, tasks}
    private final Set<String> currentPoll = new HashSet<>();
    private final int[] currentPollCounts = new int[2];
    private final AtomicLong throttled = new AtomicLong();
    private final Map<String, AtomicInteger> throttledByOperation = new ConcurrentHashMap<>();
    private final AtomicLong firstTaskNanos = new AtomicLong();
    private final AtomicLong lastTaskNanos = new AtomicLong();
    private final long startNanos = System.nanoTime();
    // calls arriving per operation and second since the server started: the rates clients really send
    private final Map<String, Map<Long, AtomicInteger>> perSecond = new ConcurrentHashMap<>();
    private final List<ObjectNode> logReads = Collections.synchronizedList(new ArrayList<>());

    // ---- faults and limits
    private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();
    private final Map<String, TokenBucket> limits = new ConcurrentHashMap<>();
    private volatile Duration latency = Duration.ZERO;
    private final Map<String, Double> loseRates = new ConcurrentHashMap<>();
    private final AtomicLong lostAnswers = new AtomicLong();
    final Set<String> rejectedKeys = ConcurrentHashMap.newKeySet();
    final Set<String> expiredKeys = ConcurrentHashMap.newKeySet();
    final Map<String, String> roleExternalIds = new ConcurrentHashMap<>();
    final Set<String> deniedRoles = ConcurrentHashMap.newKeySet();
    volatile Duration assumedCredentialLifetime = Duration.ofHours(1);
    volatile int logPageSize = 10_000;

    // ---- state
    private final Map<String, List<ObjectNode>> families = new HashMap<>();
    private final Map<String, List<ObjectNode>> definitionTags = new HashMap<>();
    private final Map<String, SimTask> tasks = new ConcurrentHashMap<>();
    private final Map<String, String> clientTokens = new ConcurrentHashMap<>();
    private final Map<String, List<String[]>> logStreams = new ConcurrentHashMap<>(); // group + '\n' + stream
    private final Map<String, String> assumedKeys = new ConcurrentHashMap<>(); // key -> role/session
    private final AtomicInteger keySeq = new AtomicInteger();
    private volatile AutoRun auto;

    /** Starts a server on a free port of 127.0.0.1. */
    private volatile boolean processes;

    public LocalAwsServer() throws IOException {
        this(32);
    }

    /** Starts a server with {@code threads} request threads. */
    public LocalAwsServer(int threads) throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "local-aws-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(pool);
        http.createContext("/", this::handle);
        http.start();
    }

    /** The endpoint to give the SDK clients. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
        for (SimTask t : tasks.values()) {
            killProcess(t);
        }
    }

    // ================================================================== test controls

    /** A fault for the next call(s) of an operation, e.g. {@code RunTask}, {@code GetCallerIdentity}. */
    public void inject(String operation, Fault... fs) {
        Deque<Fault> q = faults.computeIfAbsent(operation, k -> new ArrayDeque<>());
        synchronized (q) {
            q.addAll(List.of(fs));
        }
    }

    /** A token bucket on an operation: {@code perSecond} sustained, {@code burst} at most. */
    public void rateLimit(String operation, double perSecond, int burst) {
        limits.put(operation, new TokenBucket(perSecond, burst));
    }

    /** Loses the answer of this share of an operation's calls after applying them (0..1). */
    public void loseAnswers(String operation, double rate) {
        loseRates.put(operation, rate);
    }

    /** Answers lost so far (injected and random). */
    public long lostAnswers() {
        return lostAnswers.get();
    }

    /** Delay added to every answer. */
    public void latency(Duration d) {
        latency = d;
    }

    /**
     * With {@link #autoRun}: a task that starts running runs its container's command as a real process on this
     * machine, with the container's environment (and this JVM's), its output going to the task's CloudWatch stream,
     * its private IP 127.0.0.1; the task stops when the process exits, and StopTask kills the process (and what it
     * started). This lets a client start real programs (a Dask cluster) through the real ECS API path.
     */
    public void runCommandsAsProcesses() {
        processes = true;
    }

    /** Tasks advance on their own: provisioning and pending times, then the simulated command. */
    public void autoRun(Duration provisioning, Duration pending, Duration defaultRunning) {
        auto = new AutoRun(provisioning.toNanos(), pending.toNanos(), defaultRunning.toNanos());
    }

    /** How many calls an operation received. */
    public int calls(String operation) {
        AtomicInteger c = calls.get(operation);
        return c == null ? 0 : c.get();
    }

    /** The access key ids that signed calls of an operation. */
    public Set<String> keysUsedFor(String operation) {
        return keysByOperation.getOrDefault(operation, Set.of());
    }

    /** The largest DescribeTasks batch seen. */
    public int maxDescribeBatch() {
        return maxDescribeBatch.get();
    }

    /** Per status poll ({@code DescribeTasks} calls without tags, split where a task repeats): {calls, tasks}. */
    public List<int[]> polls() {
        synchronized (polls) {
            return new ArrayList<>(polls);
        }
    }

    /** The most calls of an operation that arrived within one second (seconds counted from the server's start). */
    public int maxPerSecond(String operation) {
        Map<Long, AtomicInteger> m = perSecond.get(operation);
        return m == null ? 0 : m.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
    }

    /**
     * The most calls of an operation that arrived within any {@code seconds} consecutive seconds (counted from the
     * server's start), divided by {@code seconds}: the sustained rate the clients sent at.
     */
    public double maxRate(String operation, int seconds) {
        Map<Long, AtomicInteger> m = perSecond.get(operation);
        if (m == null || m.isEmpty()) {
            return 0;
        }
        long first = m.keySet().stream().min(Long::compare).orElse(0L);
        long last = m.keySet().stream().max(Long::compare).orElse(0L);
        int best = 0;
        for (long start = first; start + seconds - 1 <= last; start++) {
            int sum = 0;
            for (long sec = start; sec < start + seconds; sec++) {
                AtomicInteger n = m.get(sec);
                sum += n == null ? 0 : n.get();
            }
            best = Math.max(best, sum);
        }
        return best / (double) seconds;
    }

    /** The GetLogEvents requests received (their JSON), oldest first. */
    public List<ObjectNode> logReads() {
        synchronized (logReads) {
            return new ArrayList<>(logReads);
        }
    }

    /** Calls answered with ThrottlingException by the rate limits. */
    public long throttled() {
        return throttled.get();
    }

    /** Every task created, each moved along its timeline first (as ECS moves tasks whether or not anyone looks). */
    public synchronized List<SimTask> tasks() {
        tasks.values().forEach(this::advance);
        return new ArrayList<>(tasks.values());
    }

    /** One task. */
    public SimTask task(String arn) {
        return tasks.get(arn);
    }

    /** Registered revisions of a family (ACTIVE and INACTIVE). */
    public synchronized int revisions(String family) {
        return families.getOrDefault(family, List.of()).size();
    }

    /** The stored revision JSON (as DescribeTaskDefinition returns it). */
    public synchronized ObjectNode revision(String family, int revision) {
        return families.get(family).get(revision - 1).deepCopy();
    }

    /** Moves a task to RUNNING. */
    public synchronized void start(String arn) {
        SimTask t = tasks.get(arn);
        if (t.lastStatus.equals("STOPPED")) {
            return;
        }
        t.lastStatus = "RUNNING";
        t.startedAt = Instant.now();
    }

    /** Makes a task's main container exit with {@code code}. */
    public synchronized void exit(String arn, int code) {
        SimTask t = tasks.get(arn);
        stopNow(t, "EssentialContainerExited", "Essential container in task exited", code, null);
    }

    /** Makes a pending task fail to start. */
    public synchronized void failToStart(String arn, String reason) {
        SimTask t = tasks.get(arn);
        stopNow(t, "TaskFailedToStart", reason, null, reason);
    }

    /** Appends a line to a task's awslogs stream (as the container would). */
    public void log(String arn, String line) {
        SimTask t = tasks.get(arn);
        if (t.logGroup == null) {
            throw new IllegalStateException("task " + arn + " has no awslogs configuration");
        }
        appendLog(t.logGroup, t.logStream, line);
    }

    /** Appends an event to a log stream. */
    public void appendLog(String group, String stream, String line) {
        List<String[]> events = logStreams.computeIfAbsent(group + "\n" + stream,
                k -> Collections.synchronizedList(new ArrayList<>()));
        events.add(new String[]{String.valueOf(System.currentTimeMillis()), line});
    }

    // ================================================================== HTTP

    private void handle(HttpExchange ex) throws IOException {
        try {
            if ("GET".equals(ex.getRequestMethod()) && ex.getRequestURI().getPath().equals("/_stats")) {
                send(ex, 200, "application/json", JSON.writeValueAsBytes(stats()));
                return;
            }
            byte[] body = ex.getRequestBody().readAllBytes();
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            String key = accessKey(ex.getRequestHeaders().getFirst("Authorization"));
            if (target != null) {
                String op = target.substring(target.indexOf('.') + 1);
                json(ex, op, key, body.length == 0 ? NODES.objectNode() : (ObjectNode) JSON.readTree(body));
            } else {
                Map<String, String> form = form(new String(body, StandardCharsets.UTF_8));
                query(ex, form.getOrDefault("Action", "?"), key, form);
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            sendJsonError(ex, 500, "InternalFailure", "test server bug: " + e);
        } finally {
            ex.close();
        }
    }

    /** What happens before an operation is applied; returns false if the call was answered already. */
    private boolean before(HttpExchange ex, String op, String key, boolean xml) throws IOException {
        calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
        perSecond.computeIfAbsent(op, k -> new ConcurrentHashMap<>())
                .computeIfAbsent((System.nanoTime() - startNanos) / 1_000_000_000L, k -> new AtomicInteger())
                .incrementAndGet();
        keysByOperation.computeIfAbsent(op, k -> ConcurrentHashMap.newKeySet()).add(key);
        sleep(latency);
        TokenBucket bucket = limits.get(op);
        if (bucket != null && !bucket.take()) {
            throttled.incrementAndGet();
            throttledByOperation.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
            error(ex, xml, 400, "ThrottlingException", "Rate exceeded");
            return false;
        }
        if (rejectedKeys.contains(key)) {
            if (xml) {
                error(ex, true, 403, "InvalidClientTokenId", "The security token included in the request is invalid.");
            } else {
                error(ex, false, 400, "UnrecognizedClientException", "The security token included in the request "
                        + "is invalid.");
            }
            return false;
        }
        if (expiredKeys.contains(key)) {
            error(ex, xml, 400, xml ? "ExpiredToken" : "ExpiredTokenException",
                    "The security token included in the request is expired");
            return false;
        }
        return true;
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

    private void json(HttpExchange ex, String op, String key, ObjectNode in) throws IOException {
        if (!before(ex, op, key, false)) {
            return;
        }
        Fault f = nextFault(op);
        if (f != null && f.beforeApply) {
            if (f.delay != null) {
                sleep(f.delay);
            } else {
                if (f.meanwhile != null) {
                    f.meanwhile.run();
                }
                sendJsonError(ex, f.status, f.code, f.message);
                return;
            }
        }
        ObjectNode out;
        try {
            out = switch (op) {
                case "RegisterTaskDefinition" -> register(in);
                case "DescribeTaskDefinition" -> describeTaskDefinition(in);
                case "ListTaskDefinitions" -> listTaskDefinitions(in);
                case "DeregisterTaskDefinition" -> deregister(in);
                case "RunTask" -> f != null && f.runTaskFailure != null ? runTaskFailure(in, f.runTaskFailure)
                        : runTask(in);
                case "DescribeTasks" -> describeTasks(in);
                case "StopTask" -> stopTask(in);
                case "ListTasks" -> listTasks(in);
                case "GetLogEvents" -> getLogEvents(in);
                case "GetAuthorizationToken" -> authorizationToken(in);
                default -> throw new AwsError(400, "UnknownOperationException", "unknown operation " + op);
            };
        } catch (AwsError e) {
            sendJsonError(ex, e.status, e.code, e.getMessage());
            return;
        }
        Double rate = loseRates.get(op);
        if ((f != null && f.loseAnswer)
                || (rate != null && java.util.concurrent.ThreadLocalRandom.current().nextDouble() < rate)) {
            lostAnswers.incrementAndGet();
            return; // applied, but the connection closes without an answer
        }
        if (f != null && f.delay != null && !f.beforeApply) {
            sleep(f.delay);
        }
        send(ex, 200, "application/x-amz-json-1.1", JSON.writeValueAsBytes(out));
    }

    private void query(HttpExchange ex, String op, String key, Map<String, String> form) throws IOException {
        if (!before(ex, op, key, true)) {
            return;
        }
        Fault f = nextFault(op);
        if (f != null && f.beforeApply) {
            if (f.delay != null) {
                sleep(f.delay);
            } else {
                error(ex, true, f.status, f.code, f.message);
                return;
            }
        }
        String result;
        switch (op) {
            case "GetCallerIdentity" -> {
                String who = assumedKeys.get(key);
                String arn = who != null ? "arn:aws:sts::" + ACCOUNT + ":assumed-role/" + who
                        : "arn:aws:iam::" + ACCOUNT + ":user/flowport-test";
                result = "<GetCallerIdentityResult><Arn>" + arn + "</Arn><UserId>" + key + "</UserId><Account>"
                        + ACCOUNT + "</Account></GetCallerIdentityResult>";
            }
            case "AssumeRole" -> {
                String role = form.get("RoleArn");
                String session = form.get("RoleSessionName");
                if (deniedRoles.contains(role)) {
                    error(ex, true, 403, "AccessDenied", "User: arn:aws:iam::" + ACCOUNT + ":user/flowport-test is "
                            + "not authorized to perform: sts:AssumeRole on resource: " + role);
                    return;
                }
                String wantedExternalId = roleExternalIds.get(role);
                if (wantedExternalId != null && !wantedExternalId.equals(form.get("ExternalId"))) {
                    error(ex, true, 403, "AccessDenied", "not authorized to perform sts:AssumeRole on " + role
                            + " (external id)");
                    return;
                }
                String id = "ASIA" + String.format("%016d", keySeq.incrementAndGet());
                String roleName = role.substring(role.lastIndexOf('/') + 1);
                assumedKeys.put(id, roleName + "/" + session);
                Instant expires = Instant.now().plus(assumedCredentialLifetime);
                result = "<AssumeRoleResult><Credentials><AccessKeyId>" + id + "</AccessKeyId><SecretAccessKey>"
                        + "secret-" + id + "</SecretAccessKey><SessionToken>token-" + id + "</SessionToken>"
                        + "<Expiration>" + expires + "</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::"
                        + ACCOUNT + ":assumed-role/" + roleName + "/" + session + "</Arn><AssumedRoleId>AROA1:"
                        + session + "</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>";
            }
            default -> {
                error(ex, true, 400, "InvalidAction", "unknown action " + op);
                return;
            }
        }
        if (f != null && f.loseAnswer) {
            return;
        }
        String xml = "<" + op + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">" + result
                + "<ResponseMetadata><RequestId>" + UUID.randomUUID() + "</RequestId></ResponseMetadata></" + op
                + "Response>";
        send(ex, 200, "text/xml", xml.getBytes(StandardCharsets.UTF_8));
    }

    // ================================================================== ECS task definitions

    private synchronized ObjectNode register(ObjectNode in) {
        String family = text(in, "family");
        if (family == null || in.path("containerDefinitions").isEmpty()) {
            throw new AwsError(400, "ClientException", "Family and container definitions are required.");
        }
        List<ObjectNode> revs = families.computeIfAbsent(family, k -> new ArrayList<>());
        ObjectNode d = in.deepCopy();
        ArrayNode tags = (ArrayNode) d.remove("tags");
        int rev = revs.size() + 1;
        String arn = "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":task-definition/" + family + ":" + rev;
        d.put("taskDefinitionArn", arn);
        d.put("revision", rev);
        d.put("status", "ACTIVE");
        d.put("registeredAt", Instant.now().toEpochMilli() / 1000.0);
        d.put("registeredBy", "arn:aws:iam::" + ACCOUNT + ":user/flowport-test");
        ArrayNode compat = d.putArray("compatibilities");
        compat.add("EC2");
        boolean fargate = false;
        for (JsonNode c : in.path("requiresCompatibilities")) {
            fargate |= c.asText().equals("FARGATE");
        }
        if (fargate) {
            compat.add("FARGATE");
        }
        d.putArray("requiresAttributes").addObject().put("name", "com.amazonaws.ecs.capability.docker-remote-api.1.18");
        if (!d.has("networkMode")) {
            d.put("networkMode", "bridge");
        }
        // ECS takes a role name or an ARN, and reports the ARN
        for (String role : List.of("taskRoleArn", "executionRoleArn")) {
            String r = text(d, role);
            if (r != null && !r.startsWith("arn:")) {
                d.put(role, "arn:aws:iam::" + ACCOUNT + ":role/" + r);
            }
        }
        if (!d.has("volumes")) {
            d.putArray("volumes");
        }
        if (!d.has("placementConstraints")) {
            d.putArray("placementConstraints");
        }
        boolean awsvpc = "awsvpc".equals(text(d, "networkMode"));
        for (JsonNode c : d.withArray("containerDefinitions")) {
            ObjectNode cn = (ObjectNode) c;
            if (!cn.has("cpu")) {
                cn.put("cpu", 0);
            }
            if (!cn.has("essential")) {
                cn.put("essential", true);
            }
            for (String list : List.of("portMappings", "mountPoints", "volumesFrom")) {
                if (!cn.has(list)) {
                    cn.putArray(list);
                }
            }
            // defaults ECS fills in and reports back
            for (JsonNode pm : cn.withArray("portMappings")) {
                ObjectNode pmn = (ObjectNode) pm;
                if (!pmn.has("protocol")) {
                    pmn.put("protocol", "tcp");
                }
                if (awsvpc && !pmn.has("hostPort") && pmn.has("containerPort")) {
                    pmn.put("hostPort", pmn.get("containerPort").asInt());
                }
            }
            if (cn.has("healthCheck")) {
                ObjectNode hc = (ObjectNode) cn.get("healthCheck");
                if (!hc.has("interval")) {
                    hc.put("interval", 30);
                }
                if (!hc.has("timeout")) {
                    hc.put("timeout", 5);
                }
                if (!hc.has("retries")) {
                    hc.put("retries", 3);
                }
            }
            // ECS does not keep the order of variables and secrets
            for (String list : List.of("environment", "secrets")) {
                if (cn.has(list)) {
                    List<JsonNode> items = new ArrayList<>();
                    cn.get(list).forEach(items::add);
                    Collections.reverse(items);
                    cn.putArray(list).addAll(items);
                } else if (list.equals("environment")) {
                    cn.putArray(list);
                }
            }
        }
        revs.add(d);
        List<ObjectNode> tagList = new ArrayList<>();
        if (tags != null) {
            tags.forEach(t -> tagList.add((ObjectNode) t));
        }
        definitionTags.put(arn, tagList);
        ObjectNode out = NODES.objectNode();
        out.set("taskDefinition", d.deepCopy());
        out.set("tags", NODES.arrayNode().addAll(tagList));
        return out;
    }

    private ObjectNode findDefinition(String ref) {
        String s = ref;
        int i = s.indexOf(":task-definition/");
        if (i >= 0) {
            s = s.substring(i + ":task-definition/".length());
        }
        int colon = s.lastIndexOf(':');
        List<ObjectNode> revs = families.get(colon > 0 ? s.substring(0, colon) : s);
        if (revs == null) {
            return null;
        }
        if (colon > 0) {
            int rev = Integer.parseInt(s.substring(colon + 1));
            return rev >= 1 && rev <= revs.size() ? revs.get(rev - 1) : null;
        }
        for (int r = revs.size() - 1; r >= 0; r--) {
            if (revs.get(r).path("status").asText().equals("ACTIVE")) {
                return revs.get(r);
            }
        }
        return null;
    }

    private synchronized ObjectNode describeTaskDefinition(ObjectNode in) {
        ObjectNode d = findDefinition(text(in, "taskDefinition"));
        if (d == null) {
            throw new AwsError(400, "ClientException", "Unable to describe task definition.");
        }
        ObjectNode out = NODES.objectNode();
        out.set("taskDefinition", d.deepCopy());
        if (in.path("include").toString().contains("TAGS")) {
            out.set("tags", NODES.arrayNode().addAll(definitionTags.getOrDefault(text(d, "taskDefinitionArn"),
                    List.of())));
        }
        return out;
    }

    private synchronized ObjectNode listTaskDefinitions(ObjectNode in) {
        String prefix = text(in, "familyPrefix");
        String status = in.has("status") ? text(in, "status") : "ACTIVE";
        List<String> arns = new ArrayList<>();
        families.forEach((family, revs) -> {
            if (prefix == null || family.startsWith(prefix)) {
                revs.stream().filter(r -> r.path("status").asText().equals(status))
                        .forEach(r -> arns.add(text(r, "taskDefinitionArn")));
            }
        });
        arns.sort((a, b) -> Integer.compare(rev(a), rev(b)));
        if ("DESC".equals(text(in, "sort"))) {
            Collections.reverse(arns);
        }
        return page(in, arns, "taskDefinitionArns");
    }

    private static int rev(String arn) {
        return Integer.parseInt(arn.substring(arn.lastIndexOf(':') + 1));
    }

    private synchronized ObjectNode deregister(ObjectNode in) {
        ObjectNode d = findDefinition(text(in, "taskDefinition"));
        if (d == null) {
            throw new AwsError(400, "ClientException", "The specified task definition does not exist.");
        }
        d.put("status", "INACTIVE");
        ObjectNode out = NODES.objectNode();
        out.set("taskDefinition", d.deepCopy());
        return out;
    }

    // ================================================================== ECS tasks

    private ObjectNode runTaskFailure(ObjectNode in, String reason) {
        ObjectNode out = NODES.objectNode();
        out.putArray("tasks");
        out.putArray("failures").addObject()
                .put("arn", "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":container-instance/" + cluster(in) + "/x")
                .put("reason", reason);
        return out;
    }

    private String cluster(ObjectNode in) {
        String c = text(in, "cluster");
        if (c == null) {
            return "default";
        }
        int i = c.indexOf(":cluster/");
        return i >= 0 ? c.substring(i + 9) : c;
    }

    private synchronized ObjectNode runTask(ObjectNode in) {
        String token = text(in, "clientToken");
        if (token != null && clientTokens.containsKey(token)) {
            ObjectNode out = NODES.objectNode();
            out.putArray("tasks").add(taskJson(tasks.get(clientTokens.get(token)), false));
            out.putArray("failures");
            return out;
        }
        ObjectNode def = findDefinition(text(in, "taskDefinition"));
        if (def == null) {
            throw new AwsError(400, "ClientException", "TaskDefinition not found.");
        }
        String startedBy = text(in, "startedBy");
        if (startedBy != null && (startedBy.length() > 36 || !startedBy.matches("[A-Za-z0-9_/-]+"))) {
            throw new AwsError(400, "InvalidParameterException", "startedBy is invalid: " + startedBy);
        }
        if (in.path("tags").size() > 50) {
            throw new AwsError(400, "InvalidParameterException", "too many tags");
        }
        if ("awsvpc".equals(text(def, "networkMode")) && !in.has("networkConfiguration")) {
            throw new AwsError(400, "InvalidParameterException",
                    "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
        }
        if (in.has("launchType") && in.has("capacityProviderStrategy")) {
            throw new AwsError(400, "InvalidParameterException",
                    "Specifying both a launch type and capacity provider strategy is not supported.");
        }
        if (in.has("overrides")) {
            String o = in.get("overrides").toString();
            if (o.length() > 8192) {
                throw new AwsError(400, "InvalidParameterException", "Container Overrides length must be at most 8192");
            }
        }
        String cluster = cluster(in);
        String id = UUID.randomUUID().toString().replace("-", "");
        String arn = "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":task/" + cluster + "/" + id;
        SimTask t = new SimTask(arn, cluster, text(def, "taskDefinitionArn"), "family:" + text(def, "family"),
                startedBy, in.path("launchType").asText(null));
        t.createdNanos = System.nanoTime();
        firstTaskNanos.compareAndSet(0, t.createdNanos);
        lastTaskNanos.set(t.createdNanos);
        in.path("tags").forEach(tag -> t.tags.put(tag.path("key").asText(), tag.path("value").asText()));
        JsonNode first = def.withArray("containerDefinitions").get(0);
        t.container = text(first, "name");
        Map<String, String> env = new LinkedHashMap<>();
        first.path("environment").forEach(v -> env.put(v.path("name").asText(), v.path("value").asText()));
        List<String> command = new ArrayList<>();
        first.path("command").forEach(c -> command.add(c.asText()));
        for (JsonNode co : in.path("overrides").path("containerOverrides")) {
            if (t.container.equals(text(co, "name"))) {
                co.path("environment").forEach(v -> env.put(v.path("name").asText(), v.path("value").asText()));
                if (co.has("command")) {
                    command.clear();
                    co.path("command").forEach(c -> command.add(c.asText()));
                }
            } else {
                throw new AwsError(400, "InvalidParameterException", "Override for container named "
                        + text(co, "name") + " is not a container in the TaskDefinition.");
            }
        }
        t.environment = env;
        t.command = command;
        t.awsvpc = "awsvpc".equals(text(def, "networkMode"));
        t.cpu = in.path("overrides").has("cpu") ? text(in.path("overrides"), "cpu") : text(def, "cpu");
        t.memory = in.path("overrides").has("memory") ? text(in.path("overrides"), "memory") : text(def, "memory");
        JsonNode log = first.path("logConfiguration");
        if ("awslogs".equals(log.path("logDriver").asText())) {
            t.logGroup = log.path("options").path("awslogs-group").asText();
            String prefix = log.path("options").path("awslogs-stream-prefix").asText(null);
            t.logStream = (prefix == null ? "" : prefix + "/") + t.container + "/" + id;
        }
        t.clientToken = token;
        t.request = in.deepCopy();
        tasks.put(arn, t);
        if (token != null) {
            clientTokens.put(token, arn);
        }
        ObjectNode out = NODES.objectNode();
        out.putArray("tasks").add(taskJson(t, false));
        out.putArray("failures");
        return out;
    }

    private ObjectNode describeTasks(ObjectNode in) {
        List<String> arns = new ArrayList<>();
        in.path("tasks").forEach(a -> arns.add(a.asText()));
        if (arns.size() > 100) {
            throw new AwsError(400, "InvalidParameterException", "Tasks cannot be longer than 100.");
        }
        maxDescribeBatch.accumulateAndGet(arns.size(), Math::max);
        boolean withTags = in.path("include").toString().contains("TAGS");
        if (!withTags) {
            trackPoll(arns);
        }
        ObjectNode out = NODES.objectNode();
        ArrayNode ts = out.putArray("tasks");
        ArrayNode fs = out.putArray("failures");
        String cluster = cluster(in);
        synchronized (this) {
            for (String arn : arns) {
                SimTask t = tasks.get(arn);
                if (t == null || !t.cluster.equals(cluster)) {
                    fs.addObject().put("arn", arn).put("reason", "MISSING");
                } else {
                    advance(t);
                    ts.add(taskJson(t, withTags));
                }
            }
        }
        return out;
    }

    private void trackPoll(List<String> arns) {
        synchronized (currentPoll) {
            boolean repeat = false;
            for (String a : arns) {
                repeat |= currentPoll.contains(a);
            }
            if (repeat) {
                polls.add(new int[]{currentPollCounts[0], currentPollCounts[1]});
                currentPoll.clear();
                currentPollCounts[0] = 0;
                currentPollCounts[1] = 0;
            }
            currentPoll.addAll(arns);
            currentPollCounts[0]++;
            currentPollCounts[1] += arns.size();
        }
    }

    private synchronized ObjectNode stopTask(ObjectNode in) {
        SimTask t = tasks.get(text(in, "task"));
        if (t == null) {
            throw new AwsError(400, "InvalidParameterException", "The referenced task was not found.");
        }
        advance(t);
        if (!t.desiredStatus.equals("STOPPED")) {
            t.desiredStatus = "STOPPED";
            t.stopCode = "UserInitiated";
            t.stoppedReason = in.has("reason") ? text(in, "reason") : "Task stopped by user";
            t.lastStatus = "STOPPING";
            t.stoppingNanos = System.nanoTime();
            killProcess(t);
        }
        ObjectNode out = NODES.objectNode();
        out.set("task", taskJson(t, false));
        return out;
    }

    private synchronized ObjectNode listTasks(ObjectNode in) {
        String cluster = cluster(in);
        String desired = in.has("desiredStatus") ? text(in, "desiredStatus") : "RUNNING";
        String startedBy = text(in, "startedBy");
        String family = text(in, "family");
        List<String> arns = new ArrayList<>();
        for (SimTask t : tasks.values()) {
            advance(t);
            if (t.cluster.equals(cluster) && t.desiredStatus.equals(desired)
                    && (startedBy == null || startedBy.equals(t.startedBy))
                    && (family == null || t.group.equals("family:" + family))) {
                arns.add(t.arn);
            }
        }
        Collections.sort(arns);
        return page(in, arns, "taskArns");
    }

    private ObjectNode page(ObjectNode in, List<String> all, String field) {
        int max = in.has("maxResults") ? in.get("maxResults").asInt() : 100;
        int from = in.has("nextToken") ? Integer.parseInt(text(in, "nextToken")) : 0;
        ObjectNode out = NODES.objectNode();
        ArrayNode a = out.putArray(field);
        all.subList(Math.min(from, all.size()), Math.min(all.size(), from + max)).forEach(a::add);
        if (from + max < all.size()) {
            out.put("nextToken", String.valueOf(from + max));
        }
        return out;
    }

    /** Moves a task along its timeline (auto mode) and finishes stops. Call with the monitor held. */
    private void advance(SimTask t) {
        long now = System.nanoTime();
        if (t.lastStatus.equals("STOPPING") && now - t.stoppingNanos >= Duration.ofMillis(30).toNanos()) {
            boolean wasRunning = t.startedAt != null;
            stopNow(t, t.stopCode, t.stoppedReason, wasRunning ? 137 : null, null);
            return;
        }
        AutoRun a = auto;
        if (a == null || t.desiredStatus.equals("STOPPED")) {
            return;
        }
        long age = now - t.createdNanos;
        if (age < a.provisioning) {
            return;
        }
        if (age < a.provisioning + a.pending) {
            t.lastStatus = "PENDING";
            return;
        }
        if (t.startedAt == null) {
            t.lastStatus = "RUNNING";
            t.startedAt = Instant.now();
            if (processes) {
                startProcess(t);
            } else {
                t.script = Script.parse(t.command, a.defaultRunning);
                if (t.logGroup != null) {
                    t.script.lines.forEach(l -> appendLog(t.logGroup, t.logStream, l));
                }
            }
        }
        if (t.process != null) {
            if (!t.process.isAlive()) {
                stopNow(t, "EssentialContainerExited", "Essential container in task exited", t.process.exitValue(),
                        null);
            }
            return;
        }
        if (t.script == null) {
            t.lastStatus = "STOPPED";
            t.desiredStatus = "STOPPED";
            t.stopCode = "TaskFailedToStart";
            t.stoppedReason = "the command could not be started";
            t.stoppedAt = Instant.now();
            return;
        }
        if (age >= a.provisioning + a.pending + t.script.runningNanos) {
            stopNow(t, "EssentialContainerExited", "Essential container in task exited", t.script.exitCode, null);
        }
    }

    /** Starts a running task's command as a process on this machine (see {@link #runCommandsAsProcesses}). */
    private void startProcess(SimTask t) {
        ProcessBuilder pb = new ProcessBuilder(t.command).redirectErrorStream(true);
        pb.environment().putAll(t.environment);
        try {
            // the task's own temporary directory, as a container's /tmp: removed when the task stops
            t.tmp = java.nio.file.Files.createTempDirectory("local-ecs-task-");
            pb.environment().put("TMPDIR", t.tmp.toString());
            t.process = pb.start();
        } catch (IOException e) {
            appendLogIfAny(t, "could not start " + t.command + ": " + e.getMessage());
            return;
        }
        Thread out = new Thread(() -> {
            try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
                    t.process.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    appendLogIfAny(t, line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "local-ecs-task-" + t.arn.substring(t.arn.lastIndexOf('/') + 1));
        out.setDaemon(true);
        out.start();
    }

    private void appendLogIfAny(SimTask t, String line) {
        synchronized (t.output) {
            t.output.addLast(line);
            if (t.output.size() > 200) {
                t.output.removeFirst();
            }
        }
        if (t.logGroup != null) {
            appendLog(t.logGroup, t.logStream, line);
        }
    }

    /** Kills a task's process and everything it started, as stopping a container does. */
    private static void killProcess(SimTask t) {
        Process p = t.process;
        if (p != null && p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        java.nio.file.Path tmp = t.tmp;
        if (tmp != null && (p == null || !p.isAlive())) {
            t.tmp = null;
            try (java.util.stream.Stream<java.nio.file.Path> walk = java.nio.file.Files.walk(tmp)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // left for the OS
            }
        }
    }

    private void stopNow(SimTask t, String stopCode, String reason, Integer exitCode, String containerReason) {
        if (t.lastStatus.equals("STOPPED")) {
            return;
        }
        killProcess(t);
        t.lastStatus = "STOPPED";
        t.desiredStatus = "STOPPED";
        t.stopCode = stopCode;
        t.stoppedReason = reason;
        t.exitCode = exitCode;
        t.containerReason = containerReason;
        t.stoppedAt = Instant.now();
    }

    private ObjectNode taskJson(SimTask t, boolean withTags) {
        ObjectNode n = NODES.objectNode();
        n.put("taskArn", t.arn);
        n.put("clusterArn", "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":cluster/" + t.cluster);
        n.put("taskDefinitionArn", t.definitionArn);
        n.put("group", t.group);
        n.put("lastStatus", t.lastStatus);
        n.put("desiredStatus", t.desiredStatus);
        if (t.launchType != null) {
            n.put("launchType", t.launchType);
        }
        if (t.cpu != null) {
            n.put("cpu", t.cpu);
        }
        if (t.memory != null) {
            n.put("memory", t.memory);
        }
        if (t.startedBy != null) {
            n.put("startedBy", t.startedBy);
        }
        n.put("createdAt", t.createdAt.toEpochMilli() / 1000.0);
        if (t.startedAt != null) {
            n.put("startedAt", t.startedAt.toEpochMilli() / 1000.0);
        }
        if (t.stoppedAt != null) {
            n.put("stoppedAt", t.stoppedAt.toEpochMilli() / 1000.0);
        }
        if (t.stopCode != null && t.desiredStatus.equals("STOPPED")) {
            n.put("stopCode", t.stopCode);
        }
        if (t.stoppedReason != null && t.desiredStatus.equals("STOPPED")) {
            n.put("stoppedReason", t.stoppedReason);
        }
        if (t.awsvpc && !t.lastStatus.equals("PROVISIONING")) {
            ObjectNode eni = n.putArray("attachments").addObject();
            eni.put("id", "eni-attach-" + t.arn.substring(t.arn.lastIndexOf('/') + 1, t.arn.lastIndexOf('/') + 9));
            eni.put("type", "ElasticNetworkInterface");
            eni.put("status", t.lastStatus.equals("STOPPED") ? "DELETED" : "ATTACHED");
            ArrayNode details = eni.putArray("details");
            details.addObject().put("name", "subnetId").put("value", "subnet-0123456789abcdef0");
            details.addObject().put("name", "privateIPv4Address").put("value", "127.0.0.1");
        }
        ObjectNode c = n.putArray("containers").addObject();
        c.put("containerArn", "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":container/" + t.cluster + "/"
                + t.arn.substring(t.arn.lastIndexOf('/') + 1) + "/1");
        c.put("taskArn", t.arn);
        c.put("name", t.container);
        c.put("lastStatus", t.lastStatus);
        if (t.exitCode != null) {
            c.put("exitCode", t.exitCode);
        }
        if (t.containerReason != null) {
            c.put("reason", t.containerReason);
        }
        if (withTags) {
            ArrayNode tags = n.putArray("tags");
            t.tags.forEach((k, v) -> tags.addObject().put("key", k).put("value", v));
        }
        return n;
    }

    // ================================================================== CloudWatch Logs

    /** How long the ECR tokens this server hands out are valid. */
    private volatile Duration ecrTokenTtl = Duration.ofHours(12);
    private final AtomicInteger ecrTokens = new AtomicInteger();

    /** Makes ECR tokens expire after {@code ttl}. */
    public void ecrTokenTtl(Duration ttl) {
        this.ecrTokenTtl = ttl;
    }

    /** ECR GetAuthorizationToken: a fresh base64 {@code AWS:<token>} per call, for the requested accounts. */
    private ObjectNode authorizationToken(ObjectNode in) {
        ObjectNode out = NODES.objectNode();
        var data = out.putArray("authorizationData");
        var ids = in.path("registryIds");
        String account = ids.isArray() && ids.size() > 0 ? ids.get(0).asText() : "123456789012";
        String token = "AWS:ecr-token-" + ecrTokens.incrementAndGet();
        data.addObject()
                .put("authorizationToken", java.util.Base64.getEncoder().encodeToString(
                        token.getBytes(StandardCharsets.UTF_8)))
                .put("expiresAt", (System.currentTimeMillis() + ecrTokenTtl.toMillis()) / 1000.0)
                .put("proxyEndpoint", "https://" + account + ".dkr.ecr.eu-west-1.amazonaws.com");
        return out;
    }

    /**
     * GetLogEvents as CloudWatch pages: without a token from the head ({@code startFromHead=true}) or the tail
     * (the default), at most {@code limit} events (10,000 by default, {@link #logPageSize} at most) in
     * chronological order; {@code f/<i>} and {@code b/<i>} tokens page forwards from / backwards before event i.
     */
    private ObjectNode getLogEvents(ObjectNode in) {
        logReads.add(in.deepCopy());
        List<String[]> events = logStreams.get(text(in, "logGroupName") + "\n" + text(in, "logStreamName"));
        if (events == null) {
            throw new AwsError(400, "ResourceNotFoundException", "The specified log stream does not exist.");
        }
        List<String[]> snapshot;
        synchronized (events) {
            snapshot = new ArrayList<>(events);
        }
        int limit = Math.min(logPageSize, in.has("limit") ? in.get("limit").asInt() : 10_000);
        String token = text(in, "nextToken");
        boolean fromHead = in.path("startFromHead").asBoolean(false);
        int from;
        int to;
        if (token == null) {
            from = fromHead ? 0 : Math.max(0, snapshot.size() - limit);
            to = fromHead ? Math.min(snapshot.size(), limit) : snapshot.size();
        } else if (token.startsWith("b/")) {
            to = Math.min(snapshot.size(), Integer.parseInt(token.substring(2)));
            from = Math.max(0, to - limit);
        } else {
            from = Math.min(snapshot.size(), Integer.parseInt(token.substring(2)));
            to = Math.min(snapshot.size(), from + limit);
        }
        ObjectNode out = NODES.objectNode();
        ArrayNode a = out.putArray("events");
        for (String[] e : snapshot.subList(from, to)) {
            a.addObject().put("timestamp", Long.parseLong(e[0])).put("message", e[1])
                    .put("ingestionTime", Long.parseLong(e[0]));
        }
        out.put("nextForwardToken", "f/" + to);
        out.put("nextBackwardToken", "b/" + from);
        return out;
    }

    // ================================================================== helpers

    private Map<String, Object> stats() {
        Map<String, Object> s = new LinkedHashMap<>();
        Map<String, Integer> c = new java.util.TreeMap<>();
        calls.forEach((k, v) -> c.put(k, v.get()));
        s.put("calls", c);
        s.put("throttled", throttled.get());
        s.put("lostAnswers", lostAnswers.get());
        Map<String, Integer> th = new java.util.TreeMap<>();
        throttledByOperation.forEach((k, v) -> th.put(k, v.get()));
        s.put("throttledByOperation", th);
        s.put("maxDescribeBatch", maxDescribeBatch.get());
        s.put("tasks", tasks.size());
        s.put("launchSpanMillis", (lastTaskNanos.get() - firstTaskNanos.get()) / 1_000_000);
        Map<String, Integer> perRun = new HashMap<>();
        for (SimTask t : tasks.values()) {
            perRun.merge(t.tags.getOrDefault("flowport.io/flow-run-id", t.arn), 1, Integer::sum);
        }
        s.put("runsWithMoreThanOneTask", perRun.values().stream().filter(n -> n > 1).count());
        int worst = 0;
        int pollCount = 0;
        for (int[] p : polls()) {
            pollCount++;
            worst = Math.max(worst, p[0] - (int) Math.ceil(p[1] / 100.0));
        }
        Map<String, Integer> peak = new java.util.TreeMap<>();
        perSecond.keySet().forEach(op -> peak.put(op, maxPerSecond(op)));
        s.put("maxPerSecond", peak);
        Map<String, Double> sustained = new java.util.TreeMap<>();
        perSecond.keySet().forEach(op -> sustained.put(op, maxRate(op, 10)));
        s.put("maxRateOver10s", sustained);
        s.put("polls", pollCount);
        s.put("worstExtraDescribeCallsPerPoll", worst);
        return s;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String accessKey(String authorization) {
        if (authorization == null) {
            return "anonymous";
        }
        Matcher m = CREDENTIAL.matcher(authorization);
        return m.find() ? m.group(1) : "anonymous";
    }

    private static Map<String, String> form(String body) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int i = pair.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? pair : pair.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(pair.substring(i + 1), StandardCharsets.UTF_8);
            m.put(k, v);
        }
        return m;
    }

    private static void sleep(Duration d) {
        if (d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void error(HttpExchange ex, boolean xml, int status, String code, String message) throws IOException {
        if (!xml) {
            sendJsonError(ex, status, code, message);
            return;
        }
        String body = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>"
                + (status >= 500 ? "Receiver" : "Sender") + "</Type><Code>" + code + "</Code><Message>" + message
                + "</Message></Error><RequestId>" + UUID.randomUUID() + "</RequestId></ErrorResponse>";
        send(ex, status, "text/xml", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void sendJsonError(HttpExchange ex, int status, String code, String message) throws IOException {
        ObjectNode e = NODES.objectNode();
        e.put("__type", code);
        e.put("message", message);
        ex.getResponseHeaders().add("x-amzn-ErrorType", code);
        send(ex, status, "application/x-amz-json-1.1", JSON.writeValueAsBytes(e));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.getResponseHeaders().add("x-amzn-RequestId", UUID.randomUUID().toString());
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** An AWS error answer. */
    private static final class AwsError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String code;

        AwsError(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    /** What to do to one call. */
    public static final class Fault {
        final boolean beforeApply;
        final int status;
        final String code;
        final String message;
        final Duration delay;
        final boolean loseAnswer;
        final String runTaskFailure;
        Runnable meanwhile;

        private Fault(boolean beforeApply, int status, String code, String message, Duration delay,
                      boolean loseAnswer, String runTaskFailure) {
            this.beforeApply = beforeApply;
            this.status = status;
            this.code = code;
            this.message = message;
            this.delay = delay;
            this.loseAnswer = loseAnswer;
            this.runTaskFailure = runTaskFailure;
        }

        /** 400 ThrottlingException, nothing applied. */
        public static Fault throttle() {
            return error(400, "ThrottlingException", "Rate exceeded");
        }

        /** An error answer, nothing applied. */
        public static Fault error(int status, String code, String message) {
            return new Fault(true, status, code, message, null, false, null);
        }

        /** An error answer, nothing applied; {@code meanwhile} runs first (what another client did meanwhile). */
        public static Fault error(int status, String code, String message, Runnable meanwhile) {
            Fault f = error(status, code, message);
            f.meanwhile = meanwhile;
            return f;
        }

        /** Applied, then the connection closes without an answer. */
        public static Fault loseAnswer() {
            return new Fault(false, 0, null, null, null, true, null);
        }

        /** Applied, answered after {@code delay}. */
        public static Fault slowAnswer(Duration delay) {
            return new Fault(false, 0, null, null, delay, false, null);
        }

        /** RunTask answers 200 with no task and this failure reason. */
        public static Fault runTaskFailure(String reason) {
            return new Fault(false, 0, null, null, null, false, reason);
        }
    }

    /** A token bucket. */
    static final class TokenBucket {
        private final double perNano;
        private final double burst;
        private double tokens;
        private long last = System.nanoTime();

        TokenBucket(double perSecond, int burst) {
            this.perNano = perSecond / 1e9;
            this.burst = burst;
            this.tokens = burst;
        }

        synchronized boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - last) * perNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }

    private record AutoRun(long provisioning, long pending, long defaultRunning) {
    }

    /** What a simulated {@code sh -c "..."} command does: log lines, run time, exit code. */
    static final class Script {
        final List<String> lines = new ArrayList<>();
        long runningNanos;
        int exitCode;

        static Script parse(List<String> command, long defaultRunning) {
            Script s = new Script();
            s.runningNanos = defaultRunning;
            if (command.size() == 3 && command.get(0).equals("sh") && command.get(1).equals("-c")) {
                for (String st : command.get(2).split(";")) {
                    String[] w = st.trim().split("\\s+", 2);
                    switch (w[0]) {
                        case "echo" -> s.lines.add(w.length > 1 ? w[1].replaceAll("^['\"]|['\"]$", "") : "");
                        case "exit" -> s.exitCode = Integer.parseInt(w[1].trim());
                        case "sleep" -> s.runningNanos = (long) (Double.parseDouble(w[1].trim()) * 1e9);
                        default -> { }
                    }
                }
            }
            return s;
        }
    }

    /** One simulated task. */
    public static final class SimTask {
        final String arn;
        final String cluster;
        final String definitionArn;
        final String group;
        final String startedBy;
        final String launchType;
        final Instant createdAt = Instant.now();
        final Map<String, String> tags = new LinkedHashMap<>();
        long createdNanos;
        long stoppingNanos;
        String clientToken;
        String container;
        Map<String, String> environment;
        List<String> command;
        String cpu;
        String memory;
        String logGroup;
        String logStream;
        String lastStatus = "PROVISIONING";
        String desiredStatus = "RUNNING";
        String stopCode;
        String stoppedReason;
        String containerReason;
        Integer exitCode;
        Instant startedAt;
        Instant stoppedAt;
        Script script;
        ObjectNode request;
        volatile Process process;
        volatile java.nio.file.Path tmp;
        boolean awsvpc;
        final java.util.Deque<String> output = new java.util.ArrayDeque<>();

        /** The last lines a task run as a process wrote (see {@link #runCommandsAsProcesses}). */
        public List<String> output() {
            synchronized (output) {
                return List.copyOf(output);
            }
        }

        SimTask(String arn, String cluster, String definitionArn, String group, String startedBy, String launchType) {
            this.arn = arn;
            this.cluster = cluster;
            this.definitionArn = definitionArn;
            this.group = group;
            this.startedBy = startedBy;
            this.launchType = launchType;
        }

        public String arn() {
            return arn;
        }

        public Map<String, String> tags() {
            return tags;
        }

        public Map<String, String> environment() {
            return environment;
        }

        public List<String> command() {
            return command;
        }

        public String startedBy() {
            return startedBy;
        }

        public String clientToken() {
            return clientToken;
        }

        public String launchType() {
            return launchType;
        }

        public String cpu() {
            return cpu;
        }

        public String memory() {
            return memory;
        }

        public synchronized String lastStatus() {
            return lastStatus;
        }

        public String logStream() {
            return logStream;
        }

        /** The RunTask request that created this task, as received. */
        public ObjectNode request() {
            return request;
        }
    }

    /** Runs a server from the command line (for the load benchmark's separate process); prints the port. */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int i = arg.indexOf('=');
            a.put(arg.substring(0, i), arg.substring(i + 1));
        }
        LocalAwsServer s = new LocalAwsServer(Integer.parseInt(a.getOrDefault("threads", "64")));
        double scale = Double.parseDouble(a.getOrDefault("scale", "1"));
        s.latency(Duration.ofMillis(Long.parseLong(a.getOrDefault("latencyMs", "20"))));
        s.rateLimit("RunTask", 40 * scale, (int) (100 * scale));
        s.rateLimit("DescribeTasks", 20 * scale, (int) (100 * scale));
        s.rateLimit("RegisterTaskDefinition", 1 * scale, (int) (20 * scale));
        long runMs = Long.parseLong(a.getOrDefault("runMs", "3000"));
        s.autoRun(Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(runMs));
        s.loseAnswers("RunTask", Double.parseDouble(a.getOrDefault("loseRunTaskAnswerRate", "0")));
        System.out.println("PORT " + s.http.getAddress().getPort());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** The fault queue length of an operation (what is left). */
    int pendingFaults(String op) {
        Deque<Fault> q = faults.get(op);
        if (q == null) {
            return 0;
        }
        synchronized (q) {
            return q.size();
        }
    }
}
