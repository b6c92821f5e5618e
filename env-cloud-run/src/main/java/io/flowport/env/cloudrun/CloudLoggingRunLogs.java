package io.flowport.env.cloudrun;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.logging.v2.LoggingClient;
import com.google.logging.v2.ListLogEntriesRequest;
import com.google.logging.v2.ListLogEntriesResponse;
import com.google.logging.v2.LogEntry;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.flowport.core.RunLogs;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The logs of one Cloud Run execution in Cloud Logging: what its containers wrote to stdout and stderr
 * ({@code resource.type="cloud_run_job"}, the job, the region and the {@code run.googleapis.com/execution_name}
 * label). Lines are read on demand with {@code entries.list}, newest first, so that {@link #tail(int)} costs one
 * call whatever the length of the log; {@link #lines()} is the newest {@value #MAX_LINES} lines. Nothing is read
 * until asked (Cloud Logging's read quota is small). {@link #location()} is the execution's log link from Cloud
 * Run (the Cloud Console with this filter). Thread-safe; reads block on the network.
 */
public final class CloudLoggingRunLogs implements RunLogs {

    /** The most lines {@link #lines()} returns (the newest). */
    public static final int MAX_LINES = 10_000;
    /** Cloud Logging's largest page. */
    private static final int MAX_PAGE = 1000;
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private final LoggingClient client;
    private final String project;
    private final String filter;
    private final String location;

    CloudLoggingRunLogs(LoggingClient client, String project, String region, String job, String execution,
                        Instant notBefore, String logUri) {
        this.client = client;
        this.project = Objects.requireNonNull(project, "project");
        this.filter = filter(project, region, job, execution, notBefore);
        this.location = logUri == null || logUri.isEmpty()
                ? "https://console.cloud.google.com/logs/query;query="
                + URLEncoder.encode(filter, StandardCharsets.UTF_8).replace("+", "%20") + "?project=" + project
                : logUri;
    }

    /** The Cloud Logging filter that selects the execution's lines. */
    public String filter() {
        return filter;
    }

    static String filter(String project, String region, String job, String execution, Instant notBefore) {
        return "resource.type=\"cloud_run_job\""
                + " AND resource.labels.job_name=\"" + job + "\""
                + " AND resource.labels.location=\"" + region + "\""
                + " AND labels.\"run.googleapis.com/execution_name\"=\"" + execution + "\""
                + " AND (logName=\"projects/" + project + "/logs/run.googleapis.com%2Fstdout\""
                + " OR logName=\"projects/" + project + "/logs/run.googleapis.com%2Fstderr\")"
                + (notBefore == null ? "" : " AND timestamp>=\"" + notBefore + "\"");
    }

    /**
     * The newest {@value #MAX_LINES} lines, oldest first.
     *
     * @throws io.flowport.core.FlowportException if Cloud Logging refuses the read (e.g. no
     *                                            {@code logging.logEntries.list} permission, quota)
     */
    @Override
    public List<String> lines() {
        return tail(MAX_LINES);
    }

    /**
     * The last {@code maxLines} lines, oldest first: read newest first, one call per 1,000 lines.
     *
     * @throws io.flowport.core.FlowportException if Cloud Logging refuses the read
     * @throws IllegalArgumentException            if {@code maxLines} is negative
     */
    @Override
    public List<String> tail(int maxLines) {
        if (maxLines < 0) {
            throw new IllegalArgumentException("maxLines must be >= 0, was " + maxLines);
        }
        if (client == null || maxLines == 0) {
            return List.of();
        }
        List<String> newestFirst = new ArrayList<>();
        String token = "";
        do {
            ListLogEntriesResponse r;
            try {
                r = client.listLogEntriesCallable().call(ListLogEntriesRequest.newBuilder()
                        .addResourceNames("projects/" + project).setFilter(filter).setOrderBy("timestamp desc")
                        .setPageSize(Math.min(MAX_PAGE, maxLines - newestFirst.size())).setPageToken(token).build());
            } catch (ApiException e) {
                throw GoogleErrors.map("reading the logs of " + location, e);
            }
            for (LogEntry entry : r.getEntriesList()) {
                if (newestFirst.size() < maxLines) {
                    newestFirst.add(text(entry));
                }
            }
            token = r.getNextPageToken();
        } while (!token.isEmpty() && newestFirst.size() < maxLines);
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /** The line an entry was written as: its text, or its JSON (a JSON line on stdout becomes a jsonPayload). */
    static String text(LogEntry entry) {
        switch (entry.getPayloadCase()) {
            case TEXT_PAYLOAD:
                String t = entry.getTextPayload();
                return t.endsWith("\n") ? t.substring(0, t.length() - 1) : t;
            case JSON_PAYLOAD:
                try {
                    return JSON.print(entry.getJsonPayload());
                } catch (InvalidProtocolBufferException e) {
                    return entry.getJsonPayload().toString();
                }
            default:
                return "";
        }
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public String toString() {
        return location;
    }
}
