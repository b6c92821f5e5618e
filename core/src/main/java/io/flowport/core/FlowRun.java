package io.flowport.core;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A request to run a flow once: its id, parameters and options. Remote environments also need to know
 * where the runner in the container finds the flow: its {@link Storage} and location in it.
 */
public final class FlowRun {

    private final String id;
    private final Map<String, Object> parameters;
    private final Duration timeout;
    private final CancellationToken cancellation;
    private final FlowRunListener listener;
    private final Storage storage;
    private final String flowLocation;

    private FlowRun(Builder b) {
        this.id = b.id == null ? UUID.randomUUID().toString() : b.id;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(b.parameters));
        this.timeout = b.timeout;
        this.cancellation = b.cancellation == null ? new CancellationToken() : b.cancellation;
        this.listener = b.listener == null ? FlowRunListener.NONE : b.listener;
        this.storage = b.storage;
        this.flowLocation = b.flowLocation;
    }

    /** A run with a fresh id and no parameters. */
    public static FlowRun create() {
        return builder().build();
    }

    /** A run with a fresh id and these parameters. */
    public static FlowRun withParameters(Map<String, ?> parameters) {
        return builder().parameters(parameters).build();
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The run's id (a UUID unless one was given). */
    public String id() {
        return id;
    }

    /** The parameter values given (not yet resolved against the flow). */
    public Map<String, Object> parameters() {
        return parameters;
    }

    /** The longest time the whole run may take. */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** Cancels this run from another thread. */
    public CancellationToken cancellation() {
        return cancellation;
    }

    /** Receives progress. */
    public FlowRunListener listener() {
        return listener;
    }

    /** Where a remote runner finds the flow's code. */
    public Optional<Storage> storage() {
        return Optional.ofNullable(storage);
    }

    /** The flow's location in {@link #storage()}. */
    public Optional<String> flowLocation() {
        return Optional.ofNullable(flowLocation);
    }

    /** A builder holding this run's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.parameters.putAll(parameters);
        b.timeout = timeout;
        b.cancellation = cancellation;
        b.listener = listener;
        b.storage = storage;
        b.flowLocation = flowLocation;
        return b;
    }

    @Override
    public String toString() {
        return "FlowRun[" + id + "]";
    }

    /** Builds a {@link FlowRun}. */
    public static final class Builder {
        private String id;
        private final Map<String, Object> parameters = new LinkedHashMap<>();
        private Duration timeout;
        private CancellationToken cancellation;
        private FlowRunListener listener;
        private Storage storage;
        private String flowLocation;

        private Builder() {
        }

        /** Sets the run's id (default: a random UUID). */
        public Builder id(String id) {
            this.id = Objects.requireNonNull(id, "id");
            return this;
        }

        /** Adds parameter values. */
        public Builder parameters(Map<String, ?> values) {
            if (values != null) {
                parameters.putAll(values);
            }
            return this;
        }

        /** Adds one parameter value. */
        public Builder parameter(String name, Object value) {
            parameters.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        /** Sets the longest time the whole run may take; past it the run ends {@code TimedOut}. */
        public Builder timeout(Duration timeout) {
            if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
                throw new ConfigurationException("FlowRun.timeout must be positive, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Uses this token to cancel the run. */
        public Builder cancellation(CancellationToken token) {
            this.cancellation = Objects.requireNonNull(token, "token");
            return this;
        }

        /** Receives progress. */
        public Builder listener(FlowRunListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Where a remote runner finds the flow, and its location there. */
        public Builder storage(Storage storage, String flowLocation) {
            this.storage = Objects.requireNonNull(storage, "storage");
            this.flowLocation = Objects.requireNonNull(flowLocation, "flowLocation");
            return this;
        }

        /** Builds the run. */
        public FlowRun build() {
            return new FlowRun(this);
        }
    }
}
