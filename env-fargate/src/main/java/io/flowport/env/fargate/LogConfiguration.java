package io.flowport.env.fargate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A container's log configuration, as ECS takes it: a log driver and its options. With the {@code awslogs}
 * driver, the run's logs are read back from CloudWatch Logs (stream {@code prefix/containerName/taskId}).
 *
 * @param logDriver the driver ({@code awslogs}, {@code awsfirelens}, {@code splunk} ...)
 * @param options   the driver's options, e.g. {@code awslogs-group}, {@code awslogs-region},
 *                  {@code awslogs-stream-prefix}
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record LogConfiguration(String logDriver, Map<String, String> options) {

    /** The CloudWatch Logs driver. */
    public static final String AWSLOGS = "awslogs";
    /** awslogs option: the log group. */
    public static final String GROUP = "awslogs-group";
    /** awslogs option: the region of the log group (default: the environment's region). */
    public static final String REGION = "awslogs-region";
    /** awslogs option: the stream prefix (required on Fargate). */
    public static final String STREAM_PREFIX = "awslogs-stream-prefix";
    /** awslogs option: {@code "true"} lets ECS create the group (needs logs:CreateLogGroup). */
    public static final String CREATE_GROUP = "awslogs-create-group";

    @JsonCreator
    public LogConfiguration(@JsonProperty("logDriver") String logDriver,
                            @JsonProperty("options") Map<String, String> options) {
        this.logDriver = logDriver;
        this.options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /**
     * An {@code awslogs} configuration.
     *
     * @param group        the log group
     * @param region       the group's region, or {@code null} for the environment's region
     * @param streamPrefix the stream prefix (required on Fargate)
     */
    public static LogConfiguration awslogs(String group, String region, String streamPrefix) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put(GROUP, Objects.requireNonNull(group, "group"));
        if (region != null) {
            o.put(REGION, region);
        }
        if (streamPrefix != null) {
            o.put(STREAM_PREFIX, streamPrefix);
        }
        return new LogConfiguration(AWSLOGS, o);
    }

    /** Whether this is the {@code awslogs} driver. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isAwsLogs() {
        return AWSLOGS.equals(logDriver);
    }
}
