package io.flowport.env.fargate;

import io.flowport.core.RunLogs;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.model.GetLogEventsRequest;
import software.amazon.awssdk.services.cloudwatchlogs.model.GetLogEventsResponse;
import software.amazon.awssdk.services.cloudwatchlogs.model.OutputLogEvent;
import software.amazon.awssdk.services.cloudwatchlogs.model.ResourceNotFoundException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * The logs of one ECS task in CloudWatch Logs (the {@code awslogs} driver's stream
 * {@code prefix/containerName/taskId}). Each call to {@link #lines()} reads the events written since the
 * previous call with {@code GetLogEvents}, paged by {@code nextForwardToken} from the head of the stream, so
 * calling it while the task runs follows the stream, and calling it after the run gives every line. The
 * newest {@value #MAX_LINES} lines are kept. {@link #tail(int)} reads from the end of the stream instead
 * ({@code startFromHead=false}): one call for up to {@value #MAX_EVENTS_PER_CALL} lines, however long the stream,
 * holding only the lines asked for. Thread-safe; both block on the network.
 */
public final class CloudWatchRunLogs implements RunLogs {

    /** The most lines kept in memory (the oldest are dropped). */
    public static final int MAX_LINES = 10_000;
    /** The most events one GetLogEvents call returns (its {@code limit}). */
    static final int MAX_EVENTS_PER_CALL = 10_000;
    private static final int MAX_PAGES_PER_READ = 10_000;
    private static final int MAX_TAIL_PAGES = 100;

    private final CloudWatchLogsClient client;
    private final String group;
    private final String stream;
    private final String region;
    private final Deque<String> lines = new ArrayDeque<>();
    private String nextToken;

    CloudWatchRunLogs(CloudWatchLogsClient client, String group, String stream, String region) {
        this.client = Objects.requireNonNull(client, "client");
        this.group = Objects.requireNonNull(group, "group");
        this.stream = Objects.requireNonNull(stream, "stream");
        this.region = region;
    }

    /** The log group. */
    public String group() {
        return group;
    }

    /** The log stream ({@code prefix/containerName/taskId}). */
    public String stream() {
        return stream;
    }

    /**
     * Every line so far, after reading what is new. An absent stream (the task has not written yet) gives the
     * lines so far.
     *
     * @throws io.flowport.core.FlowportException if CloudWatch Logs refuses the read (e.g. missing
     *                                            {@code logs:GetLogEvents} permission)
     */
    @Override
    public synchronized List<String> lines() {
        for (int page = 0; page < MAX_PAGES_PER_READ; page++) {
            GetLogEventsResponse r;
            try {
                r = client.getLogEvents(GetLogEventsRequest.builder().logGroupName(group).logStreamName(stream)
                        .startFromHead(true).nextToken(nextToken).build());
            } catch (ResourceNotFoundException e) {
                break;
            } catch (SdkException e) {
                throw AwsErrors.map("GetLogEvents of " + location(), e);
            }
            for (OutputLogEvent ev : r.events()) {
                lines.addLast(line(ev));
                if (lines.size() > MAX_LINES) {
                    lines.removeFirst();
                }
            }
            String next = r.nextForwardToken();
            // CloudWatch answers with the token it was given once the end of the stream is reached
            boolean end = next == null || next.equals(nextToken);
            if (next != null) {
                nextToken = next;
            }
            if (end) {
                break;
            }
        }
        return new ArrayList<>(lines);
    }

    /**
     * The last {@code maxLines} lines, read backwards from the end of the stream ({@code startFromHead=false}):
     * one GetLogEvents call when {@code maxLines} is at most {@value #MAX_EVENTS_PER_CALL} (CloudWatch may answer
     * with fewer events when they exceed 1 MB; then it pages on backwards). An absent stream gives no lines.
     * Independent of {@link #lines()}, whose position it does not move.
     *
     * @throws IllegalArgumentException if {@code maxLines} is negative
     * @throws io.flowport.core.FlowportException if CloudWatch Logs refuses the read
     */
    @Override
    public List<String> tail(int maxLines) {
        if (maxLines < 0) {
            throw new IllegalArgumentException("maxLines must be >= 0, was " + maxLines);
        }
        Deque<String> out = new ArrayDeque<>(Math.min(maxLines, MAX_EVENTS_PER_CALL));
        String token = null;
        for (int page = 0; page < MAX_TAIL_PAGES && out.size() < maxLines; page++) {
            GetLogEventsResponse r;
            try {
                r = client.getLogEvents(GetLogEventsRequest.builder().logGroupName(group).logStreamName(stream)
                        .startFromHead(false).limit(Math.min(maxLines - out.size(), MAX_EVENTS_PER_CALL))
                        .nextToken(token).build());
            } catch (ResourceNotFoundException e) {
                break;
            } catch (SdkException e) {
                throw AwsErrors.map("GetLogEvents of " + location(), e);
            }
            List<OutputLogEvent> events = r.events();
            for (int i = events.size() - 1; i >= 0 && out.size() < maxLines; i--) {
                out.addFirst(line(events.get(i)));
            }
            String back = r.nextBackwardToken();
            // CloudWatch answers with the token it was given once the start of the stream is reached
            if (events.isEmpty() || back == null || back.equals(token)) {
                break;
            }
            token = back;
        }
        return List.copyOf(out);
    }

    private static String line(OutputLogEvent ev) {
        String m = ev.message() == null ? "" : ev.message();
        return m.endsWith("\n") ? m.substring(0, m.length() - 1) : m;
    }

    @Override
    public String location() {
        return "CloudWatch Logs " + (region == null ? "" : region + " ") + "group " + group + " stream " + stream;
    }

    @Override
    public String toString() {
        return location();
    }
}
