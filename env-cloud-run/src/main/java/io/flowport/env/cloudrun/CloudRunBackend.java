package io.flowport.env.cloudrun;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.longrunning.OperationFuture;
import com.google.api.gax.longrunning.OperationSnapshot;
import com.google.api.gax.longrunning.OperationTimedPollAlgorithm;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.ClientSettings;
import com.google.api.gax.rpc.OperationCallSettings;
import com.google.api.gax.rpc.StatusCode;
import com.google.api.gax.rpc.UnaryCallSettings;
import com.google.cloud.logging.v2.LoggingClient;
import com.google.cloud.logging.v2.LoggingSettings;
import com.google.cloud.run.v2.CancelExecutionRequest;
import com.google.cloud.run.v2.CreateJobRequest;
import com.google.cloud.run.v2.DeleteExecutionRequest;
import com.google.cloud.run.v2.DeleteJobRequest;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.ExecutionsClient;
import com.google.cloud.run.v2.ExecutionsSettings;
import com.google.cloud.run.v2.GetJobRequest;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.JobsClient;
import com.google.cloud.run.v2.JobsSettings;
import com.google.cloud.run.v2.ListExecutionsRequest;
import com.google.cloud.run.v2.ListExecutionsResponse;
import com.google.cloud.run.v2.ListJobsRequest;
import com.google.cloud.run.v2.ListJobsResponse;
import com.google.cloud.run.v2.ListTasksRequest;
import com.google.cloud.run.v2.ListTasksResponse;
import com.google.cloud.run.v2.RunJobRequest;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TasksClient;
import com.google.cloud.run.v2.TasksSettings;
import com.google.cloud.run.v2.UpdateJobRequest;
import com.google.longrunning.Operation;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.flowport.core.RunLogs;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.Definition;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.Observation;
import io.flowport.core.spi.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The Cloud Run {@link Backend}, on Google's client library for the Cloud Run Admin API v2 (gRPC) and Cloud
 * Logging. Jobs are the definitions (one per flow, compared after normalisation and written only when they
 * differ), executions are the runs:
 * <ul>
 *   <li>{@link #launch}: one {@code RunJob} whose overrides carry the run's variables, arguments, task count and
 *   timeout, plus a marker variable ({@value #LAUNCH_VARIABLE}: the idempotency token, the run id and the run's
 *   labels). RunJob is not retried by the client library on an ambiguous failure (no answer, UNAVAILABLE):
 *   the lifecycle retries, and a retry of a token whose earlier call may have been applied first looks for an
 *   execution carrying that token, so no run gets a second execution.</li>
 *   <li>{@link #describe}: one paged {@code ListExecutions} per job, newest first, stopping at the oldest
 *   execution followed; exit codes of failed executions from one {@code ListTasks} each. Reads are paced at
 *   {@code readsPerSecond}.</li>
 *   <li>{@link #stop}: {@code CancelExecution}; {@link #delete}: {@code DeleteExecution}; {@link #find}:
 *   {@code ListJobs} + {@code ListExecutions}, matching the marker's labels; {@link #logs}: Cloud Logging.</li>
 * </ul>
 * Other calls use the client library's retry policy (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED with
 * jittered exponential backoff, {@code sdkMaxAttempts} attempts); what remains is mapped by status code
 * ({@link GoogleErrors}). Thread-safe. Close it to release the channels.
 */
public final class CloudRunBackend implements Backend, Observation.Polling, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CloudRunBackend.class);
    /** The variable in each run's overrides that marks the execution as that run's. */
    public static final String LAUNCH_VARIABLE = "FLOWPORT_CLOUD_RUN_LAUNCH";
    /** Executions asked for per ListExecutions page. */
    public static final int PAGE_SIZE = 1000;
    /** Failed executions whose exit codes are read per status read (one ListTasks each). */
    static final int EXIT_CODE_READS_PER_DESCRIBE = 25;
    /** How far before the oldest followed run a listing still looks (clock skew between us and Cloud Run). */
    private static final Duration SKEW = Duration.ofMinutes(5);
    private static final Duration REMEMBER_FOR = Duration.ofHours(24);
    /** How often a job kept because an execution of it still ran is looked at again (keepJob=false). */
    private static final int RECHECKS = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CloudRunJobEnvironment env;
    private final String project;
    private final String region;
    private final JobsClient jobs;
    private final ExecutionsClient executions;
    private final TasksClient tasks;
    private final LoggingClient logging;
    private final Pacer reads;
    /** The wanted job of each job name prepared here. */
    private final Map<String, JobSpec.Prepared> prepared = new ConcurrentHashMap<>();
    /** Jobs known to exist with the wanted content (name → hash), so that prepare reads once per backend. */
    private final Map<String, String> verified = new ConcurrentHashMap<>();
    /** Launches by idempotency token. */
    private final Map<String, Remembered> launched = new ConcurrentHashMap<>();
    /** Tokens whose RunJob may have been applied without an answer, and since when. */
    private final Map<String, Instant> ambiguous = new ConcurrentHashMap<>();
    private final Map<String, JobUse> uses = new ConcurrentHashMap<>();
    private final Map<String, String> logUris = new ConcurrentHashMap<>();
    private final Map<String, List<Task>> failedTasks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService cleanup;
    private final Duration recheck;

    private CloudRunBackend(CloudRunJobEnvironment env, String project, String region, JobsClient jobs,
                            ExecutionsClient executions, TasksClient tasks, LoggingClient logging) {
        this.env = env;
        this.project = project;
        this.region = region;
        this.jobs = jobs;
        this.executions = executions;
        this.tasks = tasks;
        this.logging = logging;
        this.reads = new Pacer(env.readsPerSecond());
        AtomicInteger seq = new AtomicInteger();
        this.recheck = env.operationPollInterval().multipliedBy(10);
        this.cleanup = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flowport-cloud-run-cleanup-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Builds the clients from the environment's settings (which must be valid). Makes no API call; loads
     * Application Default Credentials when no explicit credentials are given.
     *
     * @throws ConfigurationException if no project or region can be found
     * @throws LaunchException        if no credentials can be found
     */
    static CloudRunBackend create(CloudRunJobEnvironment env) {
        String project = env.resolvedProject().orElseThrow(() -> new ConfigurationException(
                "project: no Google Cloud project; set project, or the GOOGLE_CLOUD_PROJECT environment variable"));
        String region = env.resolvedRegion().orElseThrow(() -> new ConfigurationException(
                "region: no Cloud Run region; set region, or GOOGLE_CLOUD_REGION"));
        CredentialsProvider credentials = env.credentials() != null
                ? FixedCredentialsProvider.create(env.credentials())
                : JobsSettings.defaultCredentialsProviderBuilder().build();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            JobsSettings.Builder jb = JobsSettings.newBuilder();
            transport(jb, env, credentials);
            RetrySettings retry = retry(env);
            read(jb.getJobSettings(), retry);
            read(jb.listJobsSettings(), retry);
            write(jb.createJobSettings(), retry);
            write(jb.updateJobSettings(), retry);
            write(jb.deleteJobSettings(), retry);
            // a RunJob that got no answer may have started an execution: only quota refusals are retried here,
            // the rest goes through launch(), which looks for the execution before running again
            jb.runJobSettings().setRetryableCodes(StatusCode.Code.RESOURCE_EXHAUSTED).setRetrySettings(retry);
            OperationTimedPollAlgorithm poll = OperationTimedPollAlgorithm.create(polling(env));
            operation(jb.createJobOperationSettings(), poll, retry);
            operation(jb.updateJobOperationSettings(), poll, retry);
            operation(jb.deleteJobOperationSettings(), poll, retry);
            JobsClient jobs = JobsClient.create(jb.build());
            opened.add(jobs);

            ExecutionsSettings.Builder eb = ExecutionsSettings.newBuilder();
            transport(eb, env, credentials);
            read(eb.getExecutionSettings(), retry);
            read(eb.listExecutionsSettings(), retry);
            write(eb.cancelExecutionSettings(), retry);
            write(eb.deleteExecutionSettings(), retry);
            operation(eb.deleteExecutionOperationSettings(), poll, retry);
            ExecutionsClient executions = ExecutionsClient.create(eb.build());
            opened.add(executions);

            TasksSettings.Builder tb = TasksSettings.newBuilder();
            transport(tb, env, credentials);
            read(tb.listTasksSettings(), retry);
            TasksClient tasks = TasksClient.create(tb.build());
            opened.add(tasks);

            LoggingClient logging = null;
            if (env.readLogs()) {
                LoggingSettings.Builder lb = LoggingSettings.newBuilder();
                lb.setCredentialsProvider(credentials);
                if (env.transportChannelProvider() != null) {
                    lb.setTransportChannelProvider(env.transportChannelProvider());
                }
                read(lb.listLogEntriesSettings(), retry);
                logging = LoggingClient.create(lb.build());
            }
            return new CloudRunBackend(env, project, region, jobs, executions, tasks, logging);
        } catch (IOException e) {
            closeAll(opened);
            throw new LaunchException("no Google credentials: " + e.getMessage() + "; set "
                    + "GOOGLE_APPLICATION_CREDENTIALS to a key file, run 'gcloud auth application-default login', "
                    + "run on Google Cloud with a service account, or pass credentials(...)", e);
        }
    }

    private static void transport(ClientSettings.Builder<?, ?> b, CloudRunJobEnvironment env,
                                  CredentialsProvider credentials) {
        b.setCredentialsProvider(credentials);
        if (env.transportChannelProvider() != null) {
            b.setTransportChannelProvider(env.transportChannelProvider());
        } else {
            b.setEndpoint(env.effectiveEndpoint());
        }
    }

    private static RetrySettings retry(CloudRunJobEnvironment env) {
        Duration attempt = env.requestTimeout();
        return RetrySettings.newBuilder()
                .setInitialRetryDelayDuration(Duration.ofMillis(200))
                .setRetryDelayMultiplier(2.0)
                .setMaxRetryDelayDuration(Duration.ofSeconds(10))
                .setInitialRpcTimeoutDuration(attempt)
                .setRpcTimeoutMultiplier(1.0)
                .setMaxRpcTimeoutDuration(attempt)
                .setTotalTimeoutDuration(attempt.multipliedBy(env.sdkMaxAttempts()).plusSeconds(30))
                .setMaxAttempts(env.sdkMaxAttempts())
                .build();
    }

    /** How long-running job operations are polled: from the first interval, ×1.5 up to 10 s, for 10 minutes. */
    private static RetrySettings polling(CloudRunJobEnvironment env) {
        Duration first = env.operationPollInterval();
        return RetrySettings.newBuilder()
                .setInitialRetryDelayDuration(first)
                .setRetryDelayMultiplier(1.5)
                .setMaxRetryDelayDuration(first.compareTo(Duration.ofSeconds(10)) > 0 ? first : Duration.ofSeconds(10))
                .setInitialRpcTimeoutDuration(Duration.ZERO)
                .setRpcTimeoutMultiplier(1.0)
                .setMaxRpcTimeoutDuration(Duration.ZERO)
                .setTotalTimeoutDuration(Duration.ofMinutes(10))
                .build();
    }

    /**
     * A long-running write: its first call has its own settings (the client library's default is no retry), then
     * it is polled with {@code poll}.
     */
    private static <Q> void operation(OperationCallSettings.Builder<Q, ?, ?> s, OperationTimedPollAlgorithm poll,
                                      RetrySettings retry) {
        s.setPollingAlgorithm(poll).setInitialCallSettings(UnaryCallSettings.<Q, OperationSnapshot>newUnaryCallSettingsBuilder()
                .setRetryableCodes(StatusCode.Code.UNAVAILABLE, StatusCode.Code.RESOURCE_EXHAUSTED,
                        StatusCode.Code.DEADLINE_EXCEEDED)
                .setRetrySettings(retry).build());
    }

    private static void read(UnaryCallSettings.Builder<?, ?> s, RetrySettings retry) {
        s.setRetryableCodes(StatusCode.Code.UNAVAILABLE, StatusCode.Code.RESOURCE_EXHAUSTED,
                StatusCode.Code.DEADLINE_EXCEEDED).setRetrySettings(retry);
    }

    /** Writes Flowport makes are idempotent by handling (ALREADY_EXISTS, NOT_FOUND, same content): retried too. */
    private static void write(UnaryCallSettings.Builder<?, ?> s, RetrySettings retry) {
        s.setRetryableCodes(StatusCode.Code.UNAVAILABLE, StatusCode.Code.RESOURCE_EXHAUSTED,
                StatusCode.Code.DEADLINE_EXCEEDED).setRetrySettings(retry);
    }

    @Override
    public String name() {
        return "cloud-run";
    }

    /** The project the clients call. */
    public String project() {
        return project;
    }

    /** The region the clients call. */
    public String region() {
        return region;
    }

    private String parent() {
        return "projects/" + project + "/locations/" + region;
    }

    private String jobPath(String jobId) {
        return parent() + "/jobs/" + jobId;
    }

    // ------------------------------------------------------------------------------------------ prepare

    /**
     * Makes the flow's job exist with the wanted content: created when missing, updated only when its normalised
     * content differs, left alone when equal. A job that exists without Flowport's label is not taken over.
     *
     * @throws LaunchException    if Cloud Run refuses (permissions, image, a job that is not Flowport's)
     * @throws TransientException for throttling and unavailability past the client library's retries
     */
    @Override
    public Definition prepare(Flow flow) {
        JobSpec.Prepared want = JobSpec.wanted(env, flow, project, region);
        prepared.put(want.jobId(), want);
        if (want.hash().equals(verified.get(want.jobId()))) {
            return new Definition(want.name(), want.hash(), false);
        }
        JobUse use = use(want.jobId());
        use.lock.writeLock().lock();
        try {
            return ensureJob(want);
        } finally {
            use.lock.writeLock().unlock();
        }
    }

    /** Reads the job and creates or updates it when needed. Called with the job's write lock held. */
    private Definition ensureJob(JobSpec.Prepared want) {
        if (want.hash().equals(verified.get(want.jobId()))) {
            return new Definition(want.name(), want.hash(), false);
        }
        Job existing = getJob(want.name());
        boolean written;
        if (existing == null) {
            written = create(want);
        } else {
            written = updateIfDifferent(want, existing);
        }
        verified.put(want.jobId(), want.hash());
        return new Definition(want.name(), want.hash(), written);
    }

    private Job getJob(String name) {
        try {
            return jobs.getJobCallable().call(GetJobRequest.newBuilder().setName(name).build());
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() == StatusCode.Code.NOT_FOUND) {
                return null;
            }
            throw GoogleErrors.map("GetJob " + name, e);
        }
    }

    private boolean create(JobSpec.Prepared want) {
        try {
            await(jobs.createJobOperationCallable().futureCall(CreateJobRequest.newBuilder().setParent(parent())
                    .setJobId(want.jobId()).setJob(want.job().toBuilder().clearName()).build()),
                    "CreateJob " + want.name());
            LOG.info("cloud-run: created job {} (content hash {})", want.name(), want.hash().substring(0, 12));
            return true;
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() != StatusCode.Code.ALREADY_EXISTS) {
                throw GoogleErrors.map("CreateJob " + want.name(), e);
            }
            // created by someone else meanwhile, or our own create retried after a lost answer
            Job existing = getJob(want.name());
            if (existing == null) {
                throw new TransientException("CreateJob " + want.name() + " said ALREADY_EXISTS but the job is "
                        + "not there (being deleted?)", e);
            }
            return updateIfDifferent(want, existing);
        }
    }

    private boolean updateIfDifferent(JobSpec.Prepared want, Job existing) {
        if (!"flowport".equals(existing.getLabelsMap().get(JobSpec.MANAGED_BY))) {
            throw new LaunchException("job " + want.name() + " exists and was not created by Flowport (it has no "
                    + JobSpec.MANAGED_BY + "=flowport label); set jobName to another name, or add that label to "
                    + "let Flowport manage the job");
        }
        Map<String, Object> actual = JobSpec.normalise(existing, want.job());
        if (actual.equals(want.normalised())) {
            LOG.info("cloud-run: job {} is up to date (content hash {})", want.name(), want.hash().substring(0, 12));
            return false;
        }
        LOG.info("cloud-run: job {} differs from the wanted job in {}; updating it", want.name(),
                JobSpec.differences(want.normalised(), actual));
        try {
            await(jobs.updateJobOperationCallable().futureCall(UpdateJobRequest.newBuilder()
                    .setJob(want.job()).build()), "UpdateJob " + want.name());
        } catch (ApiException e) {
            throw GoogleErrors.map("UpdateJob " + want.name(), e);
        }
        return true;
    }

    private static <T> T await(OperationFuture<T, ?> f, String what) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for " + what);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiException a) {
                throw a;
            }
            throw GoogleErrors.map(what, e.getCause());
        }
    }

    // ------------------------------------------------------------------------------------------ launch

    /**
     * Starts one execution of the run's job (RunJob) with the run's overrides; returns the execution found for
     * the same token instead when an earlier attempt may have started one.
     *
     * @throws TransientException for throttling, unavailability and lost answers (the lifecycle retries)
     * @throws LaunchException    for refusals
     */
    @Override
    public Launch launch(Definition definition, LaunchRequest request) {
        String jobId = ExecutionStates.shortName(definition.id());
        JobSpec.Prepared p = prepared.get(jobId);
        if (p == null) {
            throw new LaunchException("job " + definition.id() + " was not prepared by this backend");
        }
        if (request.command().isEmpty() || !request.command().get(0).equals(p.command().get(0))) {
            throw new LaunchException("flow run " + request.flowRunId() + ": job " + jobId + " runs '"
                    + p.command().get(0) + "' and Cloud Run can only override a job's arguments, not its command; "
                    + "flows with different programs need their own jobName");
        }
        String token = request.idempotencyToken();
        Remembered known = launched.get(token);
        if (known != null) {
            return known.launch;
        }
        Instant since = ambiguous.get(token);
        if (since != null) {
            Execution found = findByToken(jobId, token, since);
            if (found != null) {
                LOG.info("cloud-run: flow run {} already has execution {} (an earlier RunJob was applied without an "
                        + "answer)", request.flowRunId(), ExecutionStates.shortName(found.getName()));
                return remember(token, request, found);
            }
        }
        RunJobRequest run = runRequest(p, request);
        Operation op;
        try {
            op = runJob(p, run);
        } catch (ApiException e) {
            if (GoogleErrors.mayHaveBeenApplied(e)) {
                ambiguous.putIfAbsent(token, Instant.now());
            }
            throw GoogleErrors.map("RunJob " + jobId + " for flow run " + request.flowRunId(), e);
        } catch (RuntimeException e) {
            if (e instanceof LaunchException || e instanceof ConfigurationException) {
                throw e;
            }
            ambiguous.putIfAbsent(token, Instant.now());
            throw GoogleErrors.map("RunJob " + jobId + " for flow run " + request.flowRunId(), e);
        }
        Execution execution;
        try {
            execution = op.getMetadata().unpack(Execution.class);
        } catch (InvalidProtocolBufferException e) {
            ambiguous.putIfAbsent(token, Instant.now());
            throw new TransientException("RunJob " + jobId + " answered without the execution in its metadata", e);
        }
        LOG.debug("cloud-run: flow run {} runs as {}", request.flowRunId(), execution.getName());
        return remember(token, request, execution);
    }

    private Operation runJob(JobSpec.Prepared p, RunJobRequest run) {
        JobUse use = use(p.jobId());
        for (int attempt = 0; ; attempt++) {
            use.lock.readLock().lock();
            try {
                return jobs.runJobCallable().call(run);
            } catch (ApiException e) {
                if (e.getStatusCode().getCode() != StatusCode.Code.NOT_FOUND || attempt > 0) {
                    throw e;
                }
            } finally {
                use.lock.readLock().unlock();
            }
            // the job is gone (keepJob=false deleted it after its last run, or someone did): make it again
            LOG.info("cloud-run: job {} is gone; creating it again", p.name());
            verified.remove(p.jobId());
            use.lock.writeLock().lock();
            try {
                ensureJob(p);
            } finally {
                use.lock.writeLock().unlock();
            }
        }
    }

    private RunJobRequest runRequest(JobSpec.Prepared p, LaunchRequest request) {
        Map<String, String> vars = new LinkedHashMap<>(request.environment());
        vars.put(LAUNCH_VARIABLE, Marker.of(request).toJson());
        List<String> tooLong = new ArrayList<>();
        vars.forEach((k, v) -> {
            if (v != null && v.length() > CloudRunValidation.MAX_VARIABLE_CHARS) {
                tooLong.add(k + " (" + v.length() + " characters)");
            }
        });
        if (!tooLong.isEmpty()) {
            throw new LaunchException("flow run " + request.flowRunId() + ": Cloud Run takes variables of at most "
                    + CloudRunValidation.MAX_VARIABLE_CHARS + " characters; too long: " + tooLong
                    + " (shorten the parameters, metadata or the command flow's environment)");
        }
        RunJobRequest.Overrides.ContainerOverride.Builder c = RunJobRequest.Overrides.ContainerOverride.newBuilder()
                .setName(JobSpec.CONTAINER);
        List<String> args = request.command().subList(1, request.command().size());
        if (args.isEmpty()) {
            c.setClearArgs(true);
        } else {
            c.addAllArgs(args);
        }
        vars.forEach((k, v) -> c.addEnv(EnvVar.newBuilder().setName(k).setValue(v == null ? "" : v)));
        return RunJobRequest.newBuilder().setName(p.name())
                .setOverrides(RunJobRequest.Overrides.newBuilder().addContainerOverrides(c)
                        .setTaskCount(env.taskCount()).setTimeout(JobSpec.proto(p.timeout())))
                .build();
    }

    private Launch remember(String token, LaunchRequest request, Execution execution) {
        Launch l = new Launch(execution.getName(), request.flowRunId(), request.labels(),
                execution.hasCreateTime() ? instant(execution.getCreateTime()) : Instant.now());
        if (!execution.getLogUri().isEmpty()) {
            logUris.put(execution.getName(), execution.getLogUri());
        }
        launched.put(token, new Remembered(l, Instant.now()));
        ambiguous.remove(token);
        if (launched.size() > 10_000) {
            Instant cutoff = Instant.now().minus(REMEMBER_FOR);
            launched.values().removeIf(r -> r.at.isBefore(cutoff));
            ambiguous.values().removeIf(t -> t.isBefore(cutoff));
        }
        return l;
    }

    /** The execution of {@code jobId} carrying {@code token}, created since {@code since} (minus skew), or null. */
    private Execution findByToken(String jobId, String token, Instant since) {
        Instant cutoff = since.minus(SKEW);
        String pageToken = "";
        do {
            ListExecutionsResponse page = listExecutions(jobId, pageToken);
            for (Execution e : page.getExecutionsList()) {
                Marker m = Marker.of(e);
                if (m != null && token.equals(m.token())) {
                    return e;
                }
                if (e.hasCreateTime() && instant(e.getCreateTime()).isBefore(cutoff)) {
                    return null; // newest first: everything further down is older than the first attempt
                }
            }
            pageToken = page.getNextPageToken();
        } while (!pageToken.isEmpty());
        return null;
    }

    private ListExecutionsResponse listExecutions(String jobId, String pageToken) {
        reads.acquire();
        try {
            return executions.listExecutionsCallable().call(ListExecutionsRequest.newBuilder()
                    .setParent(jobPath(jobId)).setPageSize(PAGE_SIZE).setPageToken(pageToken).build());
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() == StatusCode.Code.NOT_FOUND) {
                return ListExecutionsResponse.getDefaultInstance(); // the job is gone, and its executions with it
            }
            throw GoogleErrors.map("ListExecutions of job " + jobId, e);
        }
    }

    // ------------------------------------------------------------------------------------------ observe

    @Override
    public Observation observation() {
        return this;
    }

    /** Any number: one listing per job covers every run of it. */
    @Override
    public int maxBatch() {
        return 100_000;
    }

    /**
     * The pace of status reads per second ({@code readsPerSecond}, Cloud Run's Admin API read quota by default).
     * The lifecycle paces its polls at this rate; each page read here is paced at it too.
     */
    @Override
    public double readsPerSecond() {
        return env.readsPerSecond();
    }

    /**
     * One paged ListExecutions per job (newest first, {@value #PAGE_SIZE} a page), stopping once every launch
     * is found or the listing is older than the oldest launch; runs Cloud Run no longer lists are left out.
     */
    @Override
    public Map<String, RunStatus> describe(List<Launch> launches) {
        Map<String, List<Launch>> byJob = new LinkedHashMap<>();
        for (Launch l : launches) {
            byJob.computeIfAbsent(jobOf(l.id()), k -> new ArrayList<>()).add(l);
        }
        Map<String, RunStatus> out = new HashMap<>();
        int[] exitCodeReads = {0};
        for (Map.Entry<String, List<Launch>> group : byJob.entrySet()) {
            Map<String, Launch> wanted = new HashMap<>();
            Instant oldest = Instant.MAX;
            for (Launch l : group.getValue()) {
                wanted.put(ExecutionStates.shortName(l.id()), l);
                if (l.launchedAt().isBefore(oldest)) {
                    oldest = l.launchedAt();
                }
            }
            Instant cutoff = oldest.minus(SKEW);
            String pageToken = "";
            scan:
            do {
                ListExecutionsResponse page = listExecutions(group.getKey(), pageToken);
                for (Execution e : page.getExecutionsList()) {
                    Launch l = wanted.remove(ExecutionStates.shortName(e.getName()));
                    if (l != null) {
                        out.put(l.id(), statusOf(e, exitCodeReads));
                        if (wanted.isEmpty()) {
                            break scan;
                        }
                    } else if (e.hasCreateTime() && instant(e.getCreateTime()).isBefore(cutoff)) {
                        break scan;
                    }
                }
                pageToken = page.getNextPageToken();
            } while (!pageToken.isEmpty());
        }
        return out;
    }

    private RunStatus statusOf(Execution e, int[] exitCodeReads) {
        if (!e.getLogUri().isEmpty()) {
            logUris.put(e.getName(), e.getLogUri());
        }
        List<Task> failed = List.of();
        if (ExecutionStates.failedAfterRunning(e)) {
            failed = failedTasks.get(e.getName());
            if (failed == null && exitCodeReads[0] < EXIT_CODE_READS_PER_DESCRIBE) {
                exitCodeReads[0]++;
                failed = failedTasksOf(e);
                failedTasks.put(e.getName(), failed);
            }
            if (failed == null) {
                failed = List.of();
            }
        }
        return ExecutionStates.statusOf(e, failed);
    }

    /** The failed tasks of an execution (for their exit codes), or none if they cannot be read now. */
    private List<Task> failedTasksOf(Execution e) {
        reads.acquire();
        try {
            ListTasksResponse r = tasks.listTasksCallable().call(ListTasksRequest.newBuilder()
                    .setParent(e.getName()).setPageSize(100).build());
            List<Task> out = new ArrayList<>();
            for (Task t : r.getTasksList()) {
                if (t.hasLastAttemptResult() && t.getLastAttemptResult().getExitCode() != 0) {
                    out.add(t);
                }
            }
            return out;
        } catch (ApiException ex) {
            LOG.debug("cloud-run: cannot read the tasks of {}: {}", e.getName(), ex.toString());
            return List.of();
        }
    }

    /** The job id in an execution name ({@code …/jobs/<job>/executions/<id>}). */
    static String jobOf(String executionName) {
        int j = executionName.indexOf("/jobs/");
        int x = executionName.indexOf("/executions/");
        if (j < 0 || x < j) {
            throw new IllegalArgumentException("not an execution name: " + executionName);
        }
        return executionName.substring(j + 6, x);
    }

    // ------------------------------------------------------------------------------------------ stop, logs

    /** CancelExecution; cancelling a finished or unknown execution does nothing. Does not wait. */
    @Override
    public void stop(Launch launch, String reason) {
        try {
            executions.cancelExecutionCallable().call(CancelExecutionRequest.newBuilder().setName(launch.id()).build());
            LOG.debug("cloud-run: cancelling {} ({})", launch.id(), reason);
        } catch (ApiException e) {
            StatusCode.Code c = e.getStatusCode().getCode();
            if (c == StatusCode.Code.NOT_FOUND || c == StatusCode.Code.FAILED_PRECONDITION) {
                return; // gone, or already finished
            }
            throw GoogleErrors.map("CancelExecution " + launch.id(), e);
        }
    }

    /**
     * The execution's logs in Cloud Logging (read on demand), located by Cloud Run's log link; without
     * {@code readLogs} only the link.
     */
    @Override
    public RunLogs logs(Launch launch) {
        String uri = logUris.remove(launch.id());
        failedTasks.remove(launch.id());
        return new CloudLoggingRunLogs(logging, project, region, jobOf(launch.id()),
                ExecutionStates.shortName(launch.id()), launch.launchedAt().minus(SKEW), uri);
    }

    // ------------------------------------------------------------------------------------------ find, delete

    /**
     * Every execution of Flowport's jobs whose marker carries all of {@code labels}: ListJobs (jobs labelled
     * {@code flowport-managed-by=flowport}), then ListExecutions of each.
     */
    @Override
    public List<Found> find(Map<String, String> labels) {
        List<Found> found = new ArrayList<>();
        String flowName = labels.get(Labels.FLOW_NAME);
        String pageToken = "";
        do {
            ListJobsResponse r;
            reads.acquire();
            try {
                r = jobs.listJobsCallable().call(ListJobsRequest.newBuilder().setParent(parent()).setPageSize(100)
                        .setPageToken(pageToken).build());
            } catch (ApiException e) {
                throw GoogleErrors.map("ListJobs in " + parent(), e);
            }
            for (Job job : r.getJobsList()) {
                Map<String, String> jl = job.getLabelsMap();
                if (!"flowport".equals(jl.get(JobSpec.MANAGED_BY))) {
                    continue;
                }
                if (flowName != null && jl.containsKey(JobSpec.FLOW_NAME)
                        && !jl.get(JobSpec.FLOW_NAME).equals(JobSpec.labelValue(flowName))) {
                    continue;
                }
                findIn(ExecutionStates.shortName(job.getName()), labels, found);
            }
            pageToken = r.getNextPageToken();
        } while (!pageToken.isEmpty());
        return found;
    }

    private void findIn(String jobId, Map<String, String> labels, List<Found> found) {
        String pageToken = "";
        do {
            ListExecutionsResponse page = listExecutions(jobId, pageToken);
            for (Execution e : page.getExecutionsList()) {
                Marker m = Marker.of(e);
                if (m == null || !m.labels().entrySet().containsAll(labels.entrySet())) {
                    continue;
                }
                Launch l = new Launch(e.getName(), m.run(), m.labels(),
                        e.hasCreateTime() ? instant(e.getCreateTime()) : Instant.now());
                found.add(new Found(l, ExecutionStates.statusOf(e, List.of()),
                        e.hasCompletionTime() ? instant(e.getCompletionTime()) : null));
            }
            pageToken = page.getNextPageToken();
        } while (!pageToken.isEmpty());
    }

    /** DeleteExecution (waits for it); an execution that is gone already is fine. */
    @Override
    public void delete(Launch launch) {
        try {
            await(executions.deleteExecutionOperationCallable().futureCall(DeleteExecutionRequest.newBuilder()
                    .setName(launch.id()).build()), "DeleteExecution " + launch.id());
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() == StatusCode.Code.NOT_FOUND) {
                return;
            }
            throw GoogleErrors.map("DeleteExecution " + launch.id(), e);
        }
    }

    // ------------------------------------------------------------------------------------------ keepJob=false

    /** Counts a run of {@code jobId} in flight (from before its launch to its result). */
    void acquireJob(String jobId) {
        use(jobId).users.incrementAndGet();
    }

    /**
     * Ends a run of {@code jobId}; after the last one, deletes the job unless an execution of it is still running
     * (started elsewhere, or a cancelled one not stopped yet): then it looks again a few times, after 10, 20, …
     * operation poll intervals. Never throws: a job that cannot be deleted now is logged and left.
     */
    void releaseJob(String jobId) {
        JobUse u = use(jobId);
        if (u.users.decrementAndGet() > 0) {
            return;
        }
        deleteIfUnused(jobId, 0);
    }

    private void deleteIfUnused(String jobId, int attempt) {
        JobUse u = use(jobId);
        u.lock.writeLock().lock();
        try {
            if (u.users.get() > 0) {
                return; // a run came in meanwhile: it needs the job
            }
            if (!deleteJobIfIdle(jobId) && attempt < RECHECKS) {
                cleanup.schedule(() -> deleteIfUnused(jobId, attempt + 1),
                        recheck.multipliedBy(attempt + 1).toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (RuntimeException e) {
            LOG.warn("cloud-run: could not delete job {} after its last run: {}", jobPath(jobId), e.getMessage());
        } finally {
            u.lock.writeLock().unlock();
        }
    }

    /** Deletes the job if no execution of it runs; false if one still does (look again later). */
    private boolean deleteJobIfIdle(String jobId) {
        String name = jobPath(jobId);
        Job job = getJob(name);
        verified.remove(jobId);
        if (job == null) {
            return true;
        }
        if (!"flowport".equals(job.getLabelsMap().get(JobSpec.MANAGED_BY))) {
            LOG.warn("cloud-run: job {} is not Flowport's; not deleting it", name);
            return true;
        }
        int running = 0;
        String pageToken = "";
        do {
            ListExecutionsResponse page = listExecutions(jobId, pageToken);
            for (Execution e : page.getExecutionsList()) {
                if (!ExecutionStates.isFinished(e)) {
                    running++;
                }
            }
            pageToken = page.getNextPageToken();
        } while (!pageToken.isEmpty());
        if (running > 0) {
            LOG.info("cloud-run: keeping job {} for now: {} execution(s) of it still running", name, running);
            return false;
        }
        try {
            await(jobs.deleteJobOperationCallable().futureCall(DeleteJobRequest.newBuilder().setName(name).build()),
                    "DeleteJob " + name);
            LOG.info("cloud-run: deleted job {} after its last run (keepJob=false)", name);
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() != StatusCode.Code.NOT_FOUND) {
                throw GoogleErrors.map("DeleteJob " + name, e);
            }
        }
        return true;
    }

    /** Where job releases run (they may block on DeleteJob). */
    java.util.concurrent.Executor cleanupExecutor() {
        return cleanup;
    }

    private JobUse use(String jobId) {
        return uses.computeIfAbsent(jobId, k -> new JobUse());
    }

    /** Closes the clients and their channels. Runs in flight are not affected. */
    @Override
    public void close() {
        cleanup.shutdown();
        try {
            if (!cleanup.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("cloud-run: job deletions still under way at close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<AutoCloseable> all = new ArrayList<>(List.of(jobs, executions, tasks));
        if (logging != null) {
            all.add(logging);
        }
        closeAll(all);
    }

    private static void closeAll(List<AutoCloseable> clients) {
        for (AutoCloseable c : clients) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing {} failed", c, e);
            }
        }
    }

    static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    /** Runs in flight per job and the lock that keeps a deletion from racing a launch. */
    private static final class JobUse {
        final AtomicInteger users = new AtomicInteger();
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    }

    private record Remembered(Launch launch, Instant at) {
    }

    /**
     * What a run's overrides carry to find its execution again: the idempotency token, the run id and the
     * run's labels ({@value #LAUNCH_VARIABLE}, as JSON).
     */
    record Marker(String token, String run, Map<String, String> labels) {

        static Marker of(LaunchRequest r) {
            return new Marker(r.idempotencyToken(), r.flowRunId(), new java.util.TreeMap<>(r.labels()));
        }

        /** The marker in an execution's template (where Cloud Run records the overrides), or null. */
        static Marker of(Execution e) {
            for (com.google.cloud.run.v2.Container c : e.getTemplate().getContainersList()) {
                for (EnvVar v : c.getEnvList()) {
                    if (LAUNCH_VARIABLE.equals(v.getName())) {
                        return parse(v.getValue());
                    }
                }
            }
            return null;
        }

        static Marker parse(String json) {
            try {
                Map<String, Object> m = JSON.readValue(json, new TypeReference<Map<String, Object>>() { });
                Object labels = m.get("labels");
                Map<String, String> l = new java.util.TreeMap<>();
                if (labels instanceof Map<?, ?> lm) {
                    lm.forEach((k, v) -> l.put(String.valueOf(k), String.valueOf(v)));
                }
                Object token = m.get("token");
                Object run = m.get("run");
                return token == null || run == null ? null : new Marker(token.toString(), run.toString(), l);
            } catch (JsonProcessingException e) {
                return null;
            }
        }

        String toJson() {
            try {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("token", token);
                m.put("run", run);
                m.put("labels", labels);
                return JSON.writeValueAsString(m);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Spaces calls at most {@code perSecond} apart on average (a simple slot scheduler, no burst). */
    static final class Pacer {
        private final long intervalNanos;
        private long next = Long.MIN_VALUE;

        Pacer(double perSecond) {
            this.intervalNanos = perSecond <= 0 ? 0 : (long) (1e9 / perSecond);
        }

        void acquire() {
            if (intervalNanos == 0) {
                return;
            }
            long wait;
            synchronized (this) {
                long now = System.nanoTime();
                long slot = Math.max(now, next);
                next = slot + intervalNanos;
                wait = slot - now;
            }
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted while pacing Cloud Run reads");
                }
            }
        }
    }
}
