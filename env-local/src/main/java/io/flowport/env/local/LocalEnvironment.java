package io.flowport.env.local;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.ExitCallback;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StartCallback;

import java.util.List;
import java.util.Map;

/**
 * Runs flows in the current process with its executor: the embedded default. {@code setup} creates nothing;
 * {@code execute} runs {@code onStart}, the flow, then {@code onExit}. Serialized as
 * {@code {"type":"local","executor":{...},"labels":[...],"metadata":{...}}}.
 */
@JsonDeserialize(builder = LocalEnvironment.Builder.class)
public final class LocalEnvironment extends AbstractEnvironment {

    private LocalEnvironment(Builder b) {
        super(b);
    }

    /**
     * The reference's constructor: any argument may be {@code null}.
     *
     * @param executor the executor (default: parallel, one thread per processor)
     * @param labels   agent labels
     * @param onStart  run before the flow
     * @param onExit   run after the flow, whatever its outcome
     * @param metadata free-form, serialized
     */
    public LocalEnvironment(Executor executor, List<String> labels, StartCallback onStart, ExitCallback onExit,
                            Map<String, ?> metadata) {
        this(fill(builder(), executor, labels, onStart, onExit, metadata));
    }

    private static Builder fill(Builder b, Executor executor, List<String> labels, StartCallback onStart,
                                ExitCallback onExit, Map<String, ?> metadata) {
        if (executor != null) {
            b.executor(executor);
        }
        if (labels != null) {
            b.labels(labels);
        }
        if (metadata != null) {
            b.metadata(metadata);
        }
        return b.onStart(onStart).onExit(onExit);
    }

    /** A local environment with a parallel executor and nothing else. */
    public static LocalEnvironment create() {
        return builder().build();
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        return executor().execute(flow, run);
    }

    @Override
    public String toString() {
        return "LocalEnvironment[executor=" + executor() + ", labels=" + labels() + "]";
    }

    /** Builds a {@link LocalEnvironment}. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private Builder() {
        }

        /** Builds the environment. */
        public LocalEnvironment build() {
            return new LocalEnvironment(this);
        }
    }
}
