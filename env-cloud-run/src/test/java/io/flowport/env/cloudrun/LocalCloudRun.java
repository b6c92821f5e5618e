package io.flowport.env.cloudrun;

import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.run.v2.CancelExecutionRequest;
import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.DeleteExecutionRequest;
import com.google.cloud.run.v2.DeleteJobRequest;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionsGrpc;
import com.google.cloud.run.v2.GetExecutionRequest;
import com.google.cloud.run.v2.GetJobRequest;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsGrpc;
import com.google.cloud.run.v2.ListExecutionsRequest;
import com.google.cloud.run.v2.ListExecutionsResponse;
import com.google.cloud.run.v2.ListJobsRequest;
import com.google.cloud.run.v2.ListJobsResponse;
import com.google.cloud.run.v2.ListTasksRequest;
import com.google.cloud.run.v2.ListTasksResponse;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TaskAttemptResult;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.TasksGrpc;
import com.google.cloud.run.v2.UpdateJobRequest;
import com.google.logging.v2.ListLogEntriesRequest;
import com.google.logging.v2.ListLogEntriesResponse;
import com.google.logging.v2.LogEntry;
import com.google.logging.v2.LoggingServiceV2Grpc;
import com.google.longrunning.GetOperationRequest;
import com.google.longrunning.Operation;
import com.google.longrunning.OperationsGrpc;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stateful, in-process Cloud Run Admin API v2 for tests: {@code google.cloud.run.v2.Jobs}, {@code Executions},
 * {@code Tasks}, {@code google.longrunning.Operations} and Cloud Logging's {@code LoggingServiceV2.ListLogEntries},
 * served over gRPC to the real client library. Jobs are kept with server-filled fields (a default service
 * account, a system label, the execution environment, etag, generation) so that clients must compare only what
 * they set. Executions move PENDING → RUNNING → finished as the test (or {@link #autoRun}) says, with task counts,
 * conditions, tasks with exit codes and log lines. Faults: status codes before a call is applied
 * ({@link Fault#reject}), lost answers after it is applied ({@link Fault#loseAnswer}), a share of lost RunJob
 * answers, token buckets (RESOURCE_EXHAUSTED), latency. Every call is counted by method, with the
 * {@code authorization} header it carried.
 */
final class LocalCloudRun implements AutoCloseable {

    static final String PROJECT = "flowport-test";
    static final String REGION = "europe-west1";
    static final String DEFAULT_SERVICE_ACCOUNT = "123456789012-compute@developer.gserviceaccount.com";
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Pattern EXECUTION_FILTER =
            Pattern.compile("labels\\.\"run\\.googleapis\\.com/execution_name\"=\"([^\"]+)\"");
    private static final Pattern EXIT = Pattern.compile("exit (\\d+)");
    private static final Pattern ECHO = Pattern.compile("echo ([^;]*)");

    private final String serverName = "cloud-run-" + UUID.randomUUID();
    private final Server server;
    private final ManagedChannel channel;
    private final ExecutorService executor;
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "local-cloud-run-clock");
        t.setDaemon(true);
        return t;
    });

    private final Map<String, Job> jobs = new LinkedHashMap<>();
    /** Executions by name; per job in creation order. */
    private final Map<String, Exec> executions = new LinkedHashMap<>();
    private final Map<String, List<Exec>> byJob = new LinkedHashMap<>();
    private final Map<String, Operation> operations = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> pollsLeft = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Queue<Fault>> faults = new ConcurrentHashMap<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<RunJobRequest> runJobRequests = new CopyOnWriteArrayList<>();
    private final List<Integer> listExecutionsPageSizes = new CopyOnWriteArrayList<>();
    private final AtomicInteger listingsStarted = new AtomicInteger();
    private final AtomicInteger largestPage = new AtomicInteger();

    /** GetOperation calls before a job operation reports done (0: done in the first answer). */
    volatile int operationPolls = 1;
    /** Latency added to every call. */
    volatile Duration latency = Duration.ZERO;
    /** Share of RunJob answers lost after the execution was created (UNAVAILABLE). */
    volatile double loseRunJobAnswerRate;
    /** Largest ListExecutions page this server returns. */
    volatile int maxPageSize = 1000;
    /** Images whose executions cannot start (image pull fails). */
    final List<String> missingImages = new CopyOnWriteArrayList<>();
    private volatile Bucket runJobBucket;
    private volatile Bucket readBucket;
    private volatile AutoRun autoRun;
    private final AtomicInteger lostRunJobAnswers = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();

    LocalCloudRun() throws IOException {
        this.executor = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "local-cloud-run");
            t.setDaemon(true);
            return t;
        });
        ServerInterceptor counting = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                              ServerCallHandler<Q, A> next) {
                String method = call.getMethodDescriptor().getBareMethodName();
                calls.computeIfAbsent(method, k -> new AtomicInteger()).incrementAndGet();
                String auth = headers.get(AUTHORIZATION);
                authorizations.add(method + " " + (auth == null ? "-" : auth));
                ServerCall.Listener<Q> listener = next.startCall(call, headers);
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                    @Override
                    public void onHalfClose() {
                        Duration l = latency;
                        if (!l.isZero()) {
                            try {
                                Thread.sleep(l.toMillis());
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        super.onHalfClose();
                    }
                };
            }
        };
        this.server = InProcessServerBuilder.forName(serverName).executor(executor)
                .addService(ServerInterceptors.intercept(new JobsService(), counting))
                .addService(ServerInterceptors.intercept(new ExecutionsService(), counting))
                .addService(ServerInterceptors.intercept(new TasksService(), counting))
                .addService(ServerInterceptors.intercept(new OperationsService(), counting))
                .addService(ServerInterceptors.intercept(new LoggingService(), counting))
                .build().start();
        this.channel = InProcessChannelBuilder.forName(serverName).executor(executor).build();
        clock.scheduleWithFixedDelay(this::advance, 10, 10, TimeUnit.MILLISECONDS);
    }

    /** The transport for the clients: this server's in-process channel. */
    TransportChannelProvider transport() {
        return FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    }

    // ------------------------------------------------------------------------------------------ test controls

    /** Calls of {@code method} (e.g. {@code RunJob}), including refused ones. */
    int calls(String method) {
        AtomicInteger n = calls.get(method);
        return n == null ? 0 : n.get();
    }

    /** Calls per method so far. */
    Map<String, Integer> allCalls() {
        Map<String, Integer> m = new java.util.TreeMap<>();
        calls.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Calls that write: CreateJob, UpdateJob, DeleteJob, RunJob, CancelExecution, DeleteExecution. */
    int writes() {
        return calls("CreateJob") + calls("UpdateJob") + calls("DeleteJob") + calls("RunJob")
                + calls("CancelExecution") + calls("DeleteExecution");
    }

    /** Every call's method and authorization header ({@code -} when none). */
    List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    /** The RunJob requests received, in order. */
    List<RunJobRequest> runJobRequests() {
        return List.copyOf(runJobRequests);
    }

    /** Page sizes asked for by ListExecutions calls. */
    List<Integer> listExecutionsPageSizes() {
        return List.copyOf(listExecutionsPageSizes);
    }

    /** ListExecutions calls that started a listing (no page token): one per job per status read or lookup. */
    int listingsStarted() {
        return listingsStarted.get();
    }

    /** The most executions one ListExecutions answer carried. */
    int largestPage() {
        return largestPage.get();
    }

    /** Executions not finished. */
    synchronized int unfinishedExecutions() {
        int n = 0;
        for (Exec x : executions.values()) {
            if (!x.finished()) {
                n++;
            }
        }
        return n;
    }

    /** How many flow runs have more than one execution. */
    synchronized int runsWithMoreThanOneExecution() {
        Map<String, Integer> perRun = new java.util.HashMap<>();
        for (Exec x : executions.values()) {
            CloudRunBackend.Marker m = CloudRunBackend.Marker.of(x.e.build());
            if (m != null) {
                perRun.merge(m.run(), 1, Integer::sum);
            }
        }
        return (int) perRun.values().stream().filter(n -> n > 1).count();
    }

    /** Queues a fault for the next call of {@code method}. */
    void inject(String method, Fault fault) {
        faults.computeIfAbsent(method, k -> new ConcurrentLinkedQueue<>()).add(fault);
    }

    /** RunJob quota: {@code perSecond} sustained, {@code burst} at once; beyond it RESOURCE_EXHAUSTED. */
    void runJobQuota(double perSecond, int burst) {
        runJobBucket = new Bucket(perSecond, burst);
    }

    /** Read quota (Get*, List*): beyond it RESOURCE_EXHAUSTED. */
    void readQuota(double perSecond, int burst) {
        readBucket = new Bucket(perSecond, burst);
    }

    /** RunJob answers lost so far by {@link #loseRunJobAnswerRate}. */
    int lostRunJobAnswers() {
        return lostRunJobAnswers.get();
    }

    /** Calls refused by a quota bucket. */
    int throttled() {
        return throttled.get();
    }

    /**
     * Moves every execution along by itself: resources found after {@code pending}, running for {@code run},
     * then exits with the code of its arguments' {@code exit N} (0 without), writing its {@code echo} lines.
     */
    void autoRun(Duration pending, Duration run) {
        autoRun = new AutoRun(pending, run);
    }

    synchronized Job job(String jobId) {
        return jobs.get(jobPath(jobId));
    }

    synchronized int jobCount() {
        return jobs.size();
    }

    synchronized Execution execution(String name) {
        Exec e = executions.get(name);
        return e == null ? null : e.e.build();
    }

    /** Executions of a job, oldest first. */
    synchronized List<Execution> executionsOf(String jobId) {
        return byJob.getOrDefault(jobPath(jobId), List.of()).stream().map(x -> x.e.build()).toList();
    }

    /** Executions whose marker carries this flow run id. */
    synchronized List<Execution> executionsOfRun(String flowRunId) {
        List<Execution> out = new ArrayList<>();
        for (Exec x : executions.values()) {
            CloudRunBackend.Marker m = CloudRunBackend.Marker.of(x.e.build());
            if (m != null && m.run().equals(flowRunId)) {
                out.add(x.e.build());
            }
        }
        return out;
    }

    synchronized int executionCount() {
        return executions.size();
    }

    /** Deletes a job and its executions, as someone in the console would. */
    synchronized void deleteJob(String jobId) {
        String name = jobPath(jobId);
        jobs.remove(name);
        List<Exec> all = byJob.remove(name);
        if (all != null) {
            all.forEach(x -> executions.remove(x.e.getName()));
        }
    }

    /** The execution's tasks start running. */
    synchronized void start(String name) {
        Exec x = get(name);
        if (!x.finished()) {
            x.start();
        }
    }

    /** Every task of the execution exits with {@code code} (started first if needed). */
    synchronized void exit(String name, int code) {
        Exec x = get(name);
        if (!x.finished()) {
            x.start();
            x.exit(code);
        }
    }

    /** The execution cannot start (an image that cannot be pulled …) and fails. */
    synchronized void failToStart(String name, String reason) {
        Exec x = get(name);
        if (!x.finished()) {
            x.failToStart(reason);
        }
    }

    /** Adds lines the execution's containers wrote. */
    synchronized void log(String name, String... lines) {
        Collections.addAll(get(name).logs, lines);
    }

    private Exec get(String name) {
        Exec x = executions.get(name);
        if (x == null) {
            throw new IllegalArgumentException("no execution " + name);
        }
        return x;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
        clock.shutdownNow();
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------------------------------ faults, quotas

    /** A fault for one call: a status before the call is applied, or after it (a lost answer). */
    record Fault(Status.Code code, boolean afterApplying) {
        static Fault reject(Status.Code code) {
            return new Fault(code, false);
        }

        static Fault loseAnswer(Status.Code code) {
            return new Fault(code, true);
        }
    }

    /** A token bucket. */
    private static final class Bucket {
        private final double perNano;
        private final double burst;
        private double tokens;
        private long last = System.nanoTime();

        Bucket(double perSecond, int burst) {
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

    /** The fault queued for this call of {@code method}, or a quota refusal, applied before the call. */
    private Fault before(String method, Bucket bucket, StreamObserver<?> out) {
        Queue<Fault> q = faults.get(method);
        Fault f = q == null ? null : q.poll();
        if (f != null && !f.afterApplying()) {
            out.onError(Status.fromCode(f.code()).withDescription("injected " + f.code() + " for " + method)
                    .asRuntimeException());
            return Fault.reject(f.code());
        }
        if (bucket != null && !bucket.take()) {
            throttled.incrementAndGet();
            out.onError(Status.RESOURCE_EXHAUSTED.withDescription("Quota exceeded for quota metric '" + method
                    + " requests' and limit 'requests per minute per region'").asRuntimeException());
            return Fault.reject(Status.Code.RESOURCE_EXHAUSTED);
        }
        return f; // null, or a lost answer to apply after the call
    }

    private static boolean refused(Fault f) {
        return f != null && !f.afterApplying();
    }

    private static <T> void answer(Fault f, StreamObserver<T> out, T value) {
        if (f != null && f.afterApplying()) {
            out.onError(Status.fromCode(f.code()).withDescription("the answer was lost").asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    // ------------------------------------------------------------------------------------------ model

    private static String jobPath(String jobId) {
        return "projects/" + PROJECT + "/locations/" + REGION + "/jobs/" + jobId;
    }

    private static Timestamp now() {
        Instant i = Instant.now();
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    private Operation operation(Message metadata, Message response, boolean done) {
        String name = "projects/" + PROJECT + "/locations/" + REGION + "/operations/" + UUID.randomUUID();
        Operation.Builder op = Operation.newBuilder().setName(name).setMetadata(Any.pack(metadata));
        if (done) {
            op.setDone(true).setResponse(Any.pack(response));
        }
        Operation o = op.build();
        operations.put(name, o.toBuilder().setDone(true).setResponse(Any.pack(response)).build());
        pollsLeft.put(name, new AtomicInteger(done ? 0 : operationPolls));
        return o;
    }

    /** The job as Cloud Run keeps it: what was sent, plus what the server fills in. */
    private Job stored(Job sent, String name, Job previous) {
        Job.Builder j = sent.toBuilder().setName(name)
                .setUid(previous == null ? UUID.randomUUID().toString() : previous.getUid())
                .setGeneration(previous == null ? 1 : previous.getGeneration() + 1)
                .setCreateTime(previous == null ? now() : previous.getCreateTime())
                .setUpdateTime(now())
                .setEtag("\"" + UUID.randomUUID() + "\"")
                .putLabels("cloud.googleapis.com/location", REGION);
        TaskTemplate.Builder t = j.getTemplateBuilder().getTemplateBuilder();
        if (t.getServiceAccount().isEmpty()) {
            t.setServiceAccount(DEFAULT_SERVICE_ACCOUNT);
        }
        t.setExecutionEnvironment(com.google.cloud.run.v2.ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN2);
        if (t.hasVpcAccess()) {
            com.google.cloud.run.v2.VpcAccess.Builder v = t.getVpcAccessBuilder();
            if (v.getEgress() == com.google.cloud.run.v2.VpcAccess.VpcEgress.VPC_EGRESS_UNSPECIFIED) {
                v.setEgress(com.google.cloud.run.v2.VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY);
            }
            for (com.google.cloud.run.v2.VpcAccess.NetworkInterface.Builder n : v.getNetworkInterfacesBuilderList()) {
                if (n.getNetwork().isEmpty()) {
                    n.setNetwork("projects/" + PROJECT + "/global/networks/default"); // looked up from the subnetwork
                }
            }
        }
        if (!t.hasMaxRetries()) {
            t.setMaxRetries(3);
        }
        return j.build();
    }

    /** One execution's state. */
    private final class Exec {
        final Execution.Builder e;
        final List<String> logs = new ArrayList<>();
        final List<Task> tasks = new ArrayList<>();
        final Instant created = Instant.now();
        final String operation;

        Exec(Execution.Builder e, String operation) {
            this.e = e;
            this.operation = operation;
        }

        boolean finished() {
            return e.hasCompletionTime();
        }

        void condition(String type, Condition.State state, String message, Condition.ExecutionReason reason,
                       Condition.CommonReason common) {
            Condition.Builder c = Condition.newBuilder().setType(type).setState(state).setMessage(message)
                    .setLastTransitionTime(now());
            if (reason != null) {
                c.setExecutionReason(reason);
            }
            if (common != null) {
                c.setReason(common);
            }
            for (int i = 0; i < e.getConditionsCount(); i++) {
                if (e.getConditions(i).getType().equals(type)) {
                    e.setConditions(i, c);
                    return;
                }
            }
            e.addConditions(c);
        }

        void start() {
            if (e.hasStartTime()) {
                return;
            }
            condition("ResourcesAvailable", Condition.State.CONDITION_SUCCEEDED, "", null, null);
            condition("Started", Condition.State.CONDITION_SUCCEEDED, "", null, null);
            e.setStartTime(now()).setRunningCount(e.getTaskCount());
        }

        void exit(int code) {
            int n = e.getTaskCount();
            e.setRunningCount(0);
            for (int i = 0; i < n; i++) {
                tasks.add(Task.newBuilder().setName(e.getName() + "/tasks/" + shortName(e.getName()) + "-task" + i)
                        .setIndex(i).setExecution(shortName(e.getName()))
                        .setLastAttemptResult(TaskAttemptResult.newBuilder().setExitCode(code)
                                .setStatus(com.google.rpc.Status.newBuilder().setCode(code == 0 ? 0 : 2)
                                        .setMessage(code == 0 ? "" : "Application exit code: " + code)))
                        .build());
            }
            if (code == 0) {
                e.setSucceededCount(n);
                condition("Completed", Condition.State.CONDITION_SUCCEEDED, "Execution completed successfully in "
                        + "1s.", null, null);
            } else {
                e.setFailedCount(n);
                condition("Completed", Condition.State.CONDITION_FAILED, "Task " + shortName(e.getName())
                                + "-task0 failed with message: The container exited with an error.",
                        Condition.ExecutionReason.NON_ZERO_EXIT_CODE, null);
            }
            finish();
        }

        void failToStart(String reason) {
            condition("ResourcesAvailable", Condition.State.CONDITION_FAILED, reason, null,
                    Condition.CommonReason.CONTAINER_MISSING);
            condition("Completed", Condition.State.CONDITION_FAILED, reason, null, null);
            e.setFailedCount(e.getTaskCount());
            finish();
        }

        void cancel() {
            int n = e.getTaskCount();
            e.setCancelledCount(Math.max(0, n - e.getSucceededCount() - e.getFailedCount())).setRunningCount(0);
            condition("Completed", Condition.State.CONDITION_FAILED, "The execution was cancelled.",
                    Condition.ExecutionReason.CANCELLED, null);
            finish();
        }

        private void finish() {
            e.setCompletionTime(now());
            Operation op = operations.get(operation);
            if (op != null) {
                operations.put(operation, op.toBuilder().setDone(true).setResponse(Any.pack(e.build())).build());
            }
        }
    }

    private static String shortName(String name) {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    private synchronized void advance() {
        AutoRun a = autoRun;
        if (a == null) {
            return;
        }
        Instant now = Instant.now();
        for (Exec x : executions.values()) {
            if (x.finished()) {
                continue;
            }
            Container c = x.e.getTemplate().getContainers(0);
            if (missingImages.contains(c.getImage())) {
                x.failToStart("Image '" + c.getImage() + "' not found.");
                continue;
            }
            if (!x.e.hasStartTime() && now.isAfter(x.created.plus(a.pending))) {
                x.start();
            }
            if (x.e.hasStartTime() && now.isAfter(x.created.plus(a.pending).plus(a.run))) {
                String script = String.join(" ", c.getArgsList());
                Matcher echo = ECHO.matcher(script);
                while (echo.find()) {
                    x.logs.add(echo.group(1).trim());
                }
                Matcher exit = EXIT.matcher(script);
                x.exit(exit.find() ? Integer.parseInt(exit.group(1)) : 0);
            }
        }
    }

    private record AutoRun(Duration pending, Duration run) {
    }

    // ------------------------------------------------------------------------------------------ services

    private final class JobsService extends JobsGrpc.JobsImplBase {
        @Override
        public void createJob(CreateJobRequest req, StreamObserver<Operation> out) {
            Fault f = before("CreateJob", null, out);
            if (refused(f)) {
                return;
            }
            Operation op;
            synchronized (LocalCloudRun.this) {
                String name = req.getParent() + "/jobs/" + req.getJobId();
                if (jobs.containsKey(name)) {
                    out.onError(Status.ALREADY_EXISTS.withDescription("Resource '" + req.getJobId()
                            + "' already exists.").asRuntimeException());
                    return;
                }
                String invalid = invalid(req.getJob());
                if (invalid != null) {
                    out.onError(Status.INVALID_ARGUMENT.withDescription(invalid).asRuntimeException());
                    return;
                }
                Job j = stored(req.getJob(), name, null);
                jobs.put(name, j);
                byJob.put(name, new ArrayList<>());
                op = operation(j, j, operationPolls == 0);
            }
            answer(f, out, op);
        }

        @Override
        public void getJob(GetJobRequest req, StreamObserver<Job> out) {
            Fault f = before("GetJob", readBucket, out);
            if (refused(f)) {
                return;
            }
            Job j;
            synchronized (LocalCloudRun.this) {
                j = jobs.get(req.getName());
            }
            if (j == null) {
                out.onError(Status.NOT_FOUND.withDescription("Resource '" + req.getName() + "' was not found")
                        .asRuntimeException());
                return;
            }
            answer(f, out, j);
        }

        @Override
        public void listJobs(ListJobsRequest req, StreamObserver<ListJobsResponse> out) {
            Fault f = before("ListJobs", readBucket, out);
            if (refused(f)) {
                return;
            }
            List<Job> all;
            synchronized (LocalCloudRun.this) {
                all = new ArrayList<>(jobs.values());
            }
            Collections.reverse(all);
            int from = req.getPageToken().isEmpty() ? 0 : Integer.parseInt(req.getPageToken());
            int size = req.getPageSize() <= 0 ? 100 : Math.min(req.getPageSize(), 1000);
            int to = Math.min(all.size(), from + size);
            ListJobsResponse.Builder r = ListJobsResponse.newBuilder().addAllJobs(all.subList(from, to));
            if (to < all.size()) {
                r.setNextPageToken(String.valueOf(to));
            }
            answer(f, out, r.build());
        }

        @Override
        public void updateJob(UpdateJobRequest req, StreamObserver<Operation> out) {
            Fault f = before("UpdateJob", null, out);
            if (refused(f)) {
                return;
            }
            Operation op;
            synchronized (LocalCloudRun.this) {
                Job previous = jobs.get(req.getJob().getName());
                if (previous == null) {
                    out.onError(Status.NOT_FOUND.withDescription("Resource '" + req.getJob().getName()
                            + "' was not found").asRuntimeException());
                    return;
                }
                String invalid = invalid(req.getJob());
                if (invalid != null) {
                    out.onError(Status.INVALID_ARGUMENT.withDescription(invalid).asRuntimeException());
                    return;
                }
                Job j = stored(req.getJob(), previous.getName(), previous);
                jobs.put(j.getName(), j);
                op = operation(j, j, operationPolls == 0);
            }
            answer(f, out, op);
        }

        @Override
        public void deleteJob(DeleteJobRequest req, StreamObserver<Operation> out) {
            Fault f = before("DeleteJob", null, out);
            if (refused(f)) {
                return;
            }
            Operation op;
            synchronized (LocalCloudRun.this) {
                Job j = jobs.remove(req.getName());
                if (j == null) {
                    out.onError(Status.NOT_FOUND.withDescription("Resource '" + req.getName() + "' was not found")
                            .asRuntimeException());
                    return;
                }
                for (Exec x : byJob.remove(req.getName())) {
                    if (!x.finished()) {
                        x.cancel();
                    }
                    executions.remove(x.e.getName());
                }
                op = operation(j, j, operationPolls == 0);
            }
            answer(f, out, op);
        }

        @Override
        public void runJob(RunJobRequest req, StreamObserver<Operation> out) {
            Fault f = before("RunJob", runJobBucket, out);
            if (refused(f)) {
                return;
            }
            runJobRequests.add(req);
            Operation op;
            synchronized (LocalCloudRun.this) {
                Job j = jobs.get(req.getName());
                if (j == null) {
                    out.onError(Status.NOT_FOUND.withDescription("Resource '" + req.getName() + "' was not found")
                            .asRuntimeException());
                    return;
                }
                TaskTemplate.Builder t = j.getTemplate().getTemplate().toBuilder();
                for (RunJobRequest.Overrides.ContainerOverride co : req.getOverrides().getContainerOverridesList()) {
                    int index = -1;
                    for (int i = 0; i < t.getContainersCount(); i++) {
                        if (t.getContainers(i).getName().equals(co.getName())) {
                            index = i;
                        }
                    }
                    if (index < 0) {
                        out.onError(Status.INVALID_ARGUMENT.withDescription("container override '" + co.getName()
                                + "' matches no container").asRuntimeException());
                        return;
                    }
                    Container.Builder c = t.getContainers(index).toBuilder();
                    if (co.getClearArgs()) {
                        c.clearArgs();
                    }
                    if (co.getArgsCount() > 0) {
                        c.clearArgs().addAllArgs(co.getArgsList());
                    }
                    Map<String, EnvVar> env = new LinkedHashMap<>();
                    c.getEnvList().forEach(v -> env.put(v.getName(), v));
                    co.getEnvList().forEach(v -> env.put(v.getName(), v));
                    c.clearEnv().addAllEnv(env.values());
                    t.setContainers(index, c);
                }
                if (req.getOverrides().hasTimeout()) {
                    t.setTimeout(req.getOverrides().getTimeout());
                }
                int taskCount = req.getOverrides().getTaskCount() > 0 ? req.getOverrides().getTaskCount()
                        : j.getTemplate().getTaskCount();
                String id = shortName(j.getName()) + "-" + randomSuffix();
                Execution.Builder e = Execution.newBuilder().setName(j.getName() + "/executions/" + id)
                        .setUid(UUID.randomUUID().toString()).setJob(shortName(j.getName()))
                        .setCreateTime(now()).setTaskCount(taskCount).setParallelism(j.getTemplate().getParallelism())
                        .putAllLabels(j.getTemplate().getLabelsMap()).setTemplate(t).setGeneration(1)
                        .setLogUri("https://console.cloud.google.com/logs/viewer?project=" + PROJECT
                                + "&advancedFilter=execution%3D" + id)
                        .setEtag("\"" + UUID.randomUUID() + "\"");
                Operation o = operation(e.build(), e.build(), false);
                Exec x = new Exec(e, o.getName());
                x.condition("ResourcesAvailable", Condition.State.CONDITION_PENDING, "", null, null);
                x.condition("Started", Condition.State.CONDITION_PENDING, "", null, null);
                x.condition("Completed", Condition.State.CONDITION_PENDING, "", null, null);
                executions.put(e.getName(), x);
                byJob.get(j.getName()).add(x);
                op = o.toBuilder().setMetadata(Any.pack(e.build())).build();
            }
            if (f == null && loseRunJobAnswerRate > 0 && ThreadLocalRandom.current().nextDouble() < loseRunJobAnswerRate) {
                lostRunJobAnswers.incrementAndGet();
                f = Fault.loseAnswer(Status.Code.UNAVAILABLE);
            }
            answer(f, out, op);
        }
    }

    private static String invalid(Job job) {
        if (job.getTemplate().getTemplate().getContainersCount() == 0) {
            return "spec.template.spec.containers: at least one container is required";
        }
        for (Container c : job.getTemplate().getTemplate().getContainersList()) {
            if (c.getImage().isEmpty()) {
                return "spec.template.spec.containers[0].image: Required";
            }
        }
        return null;
    }

    private static String randomSuffix() {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            sb.append(chars.charAt(ThreadLocalRandom.current().nextInt(chars.length())));
        }
        return sb.toString();
    }

    private final class ExecutionsService extends ExecutionsGrpc.ExecutionsImplBase {
        @Override
        public void getExecution(GetExecutionRequest req, StreamObserver<Execution> out) {
            Fault f = before("GetExecution", readBucket, out);
            if (refused(f)) {
                return;
            }
            Execution e = execution(req.getName());
            if (e == null) {
                out.onError(Status.NOT_FOUND.withDescription(req.getName()).asRuntimeException());
                return;
            }
            answer(f, out, e);
        }

        @Override
        public void listExecutions(ListExecutionsRequest req, StreamObserver<ListExecutionsResponse> out) {
            Fault f = before("ListExecutions", readBucket, out);
            if (refused(f)) {
                return;
            }
            listExecutionsPageSizes.add(req.getPageSize());
            if (req.getPageToken().isEmpty()) {
                listingsStarted.incrementAndGet();
            }
            List<Execution> newestFirst = new ArrayList<>();
            synchronized (LocalCloudRun.this) {
                List<Exec> all = byJob.get(req.getParent());
                if (all == null) {
                    out.onError(Status.NOT_FOUND.withDescription(req.getParent()).asRuntimeException());
                    return;
                }
                for (int i = all.size() - 1; i >= 0; i--) {
                    newestFirst.add(all.get(i).e.build());
                }
            }
            int from = req.getPageToken().isEmpty() ? 0 : Integer.parseInt(req.getPageToken());
            int size = req.getPageSize() <= 0 ? 100 : Math.min(req.getPageSize(), maxPageSize);
            int to = Math.min(newestFirst.size(), from + size);
            ListExecutionsResponse.Builder r = ListExecutionsResponse.newBuilder()
                    .addAllExecutions(newestFirst.subList(Math.min(from, to), to));
            largestPage.accumulateAndGet(r.getExecutionsCount(), Math::max);
            if (to < newestFirst.size()) {
                r.setNextPageToken(String.valueOf(to));
            }
            answer(f, out, r.build());
        }

        @Override
        public void cancelExecution(CancelExecutionRequest req, StreamObserver<Operation> out) {
            Fault f = before("CancelExecution", null, out);
            if (refused(f)) {
                return;
            }
            Operation op;
            synchronized (LocalCloudRun.this) {
                Exec x = executions.get(req.getName());
                if (x == null) {
                    out.onError(Status.NOT_FOUND.withDescription(req.getName()).asRuntimeException());
                    return;
                }
                if (x.finished()) {
                    out.onError(Status.FAILED_PRECONDITION.withDescription("Execution " + req.getName()
                            + " has already finished.").asRuntimeException());
                    return;
                }
                x.cancel();
                op = operation(x.e.build(), x.e.build(), true);
            }
            answer(f, out, op);
        }

        @Override
        public void deleteExecution(DeleteExecutionRequest req, StreamObserver<Operation> out) {
            Fault f = before("DeleteExecution", null, out);
            if (refused(f)) {
                return;
            }
            Operation op;
            synchronized (LocalCloudRun.this) {
                Exec x = executions.get(req.getName());
                if (x == null) {
                    out.onError(Status.NOT_FOUND.withDescription(req.getName()).asRuntimeException());
                    return;
                }
                if (!x.finished()) {
                    out.onError(Status.FAILED_PRECONDITION.withDescription("Execution " + req.getName()
                            + " is still running.").asRuntimeException());
                    return;
                }
                executions.remove(req.getName());
                byJob.get(jobPath(x.e.getJob())).remove(x);
                op = operation(x.e.build(), x.e.build(), operationPolls == 0);
            }
            answer(f, out, op);
        }
    }

    private final class TasksService extends TasksGrpc.TasksImplBase {
        @Override
        public void listTasks(ListTasksRequest req, StreamObserver<ListTasksResponse> out) {
            Fault f = before("ListTasks", readBucket, out);
            if (refused(f)) {
                return;
            }
            List<Task> tasks;
            synchronized (LocalCloudRun.this) {
                Exec x = executions.get(req.getParent());
                if (x == null) {
                    out.onError(Status.NOT_FOUND.withDescription(req.getParent()).asRuntimeException());
                    return;
                }
                tasks = new ArrayList<>(x.tasks);
            }
            answer(f, out, ListTasksResponse.newBuilder().addAllTasks(tasks).build());
        }
    }

    private final class OperationsService extends OperationsGrpc.OperationsImplBase {
        @Override
        public void getOperation(GetOperationRequest req, StreamObserver<Operation> out) {
            Fault f = before("GetOperation", null, out);
            if (refused(f)) {
                return;
            }
            Operation done = operations.get(req.getName());
            if (done == null) {
                out.onError(Status.NOT_FOUND.withDescription(req.getName()).asRuntimeException());
                return;
            }
            AtomicInteger left = pollsLeft.get(req.getName());
            if (left != null && left.decrementAndGet() > 0) {
                answer(f, out, done.toBuilder().setDone(false).clearResponse().build());
                return;
            }
            answer(f, out, done);
        }
    }

    private final class LoggingService extends LoggingServiceV2Grpc.LoggingServiceV2ImplBase {
        @Override
        public void listLogEntries(ListLogEntriesRequest req, StreamObserver<ListLogEntriesResponse> out) {
            Fault f = before("ListLogEntries", null, out);
            if (refused(f)) {
                return;
            }
            Matcher m = EXECUTION_FILTER.matcher(req.getFilter());
            List<String> lines = new ArrayList<>();
            if (m.find()) {
                synchronized (LocalCloudRun.this) {
                    for (Exec x : executions.values()) {
                        if (shortName(x.e.getName()).equals(m.group(1))) {
                            lines.addAll(x.logs);
                        }
                    }
                }
            }
            List<LogEntry> entries = new ArrayList<>();
            long t0 = Instant.now().getEpochSecond() - lines.size();
            for (int i = 0; i < lines.size(); i++) {
                LogEntry.Builder b = LogEntry.newBuilder().setTimestamp(Timestamp.newBuilder().setSeconds(t0 + i));
                String line = lines.get(i);
                Struct.Builder json = Struct.newBuilder();
                boolean isJson = false;
                if (line.startsWith("{")) {
                    try {
                        JsonFormat.parser().merge(line, json);
                        isJson = true;
                    } catch (IOException e) {
                        isJson = false;
                    }
                }
                if (isJson) {
                    b.setJsonPayload(json); // Cloud Logging parses a JSON line on stdout into jsonPayload
                } else {
                    b.setTextPayload(line);
                }
                entries.add(b.build());
            }
            if (req.getOrderBy().contains("desc")) {
                Collections.reverse(entries);
            }
            int from = req.getPageToken().isEmpty() ? 0 : Integer.parseInt(req.getPageToken());
            int size = req.getPageSize() <= 0 ? 50 : Math.min(req.getPageSize(), 1000);
            int to = Math.min(entries.size(), from + size);
            ListLogEntriesResponse.Builder r = ListLogEntriesResponse.newBuilder()
                    .addAllEntries(entries.subList(Math.min(from, to), to));
            if (to < entries.size()) {
                r.setNextPageToken(String.valueOf(to));
            }
            answer(f, out, r.build());
        }
    }
}
