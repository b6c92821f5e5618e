package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.spi.TypeProvider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An environment with settings of every kind a provider has (string, list, number, enum, duration, nested
 * object), registered as {@code core-test}, so that core's serialization errors are tested without a provider.
 */
@JsonDeserialize(builder = SettingsTestEnvironment.Builder.class)
public final class SettingsTestEnvironment extends AbstractEnvironment {

    /** A choice setting. */
    public enum Mode { FAST, CAREFUL }

    /** A nested setting. */
    public record Container(@JsonProperty("name") String name, @JsonProperty("image") String image) {
        /** For Jackson. */
        @JsonCreator
        public Container {
        }
    }

    private final String cpu;
    private final List<String> subnets;
    private final int retries;
    private final Mode mode;
    private final Duration startTimeout;
    private final Container container;

    private SettingsTestEnvironment(Builder b) {
        super(b);
        this.cpu = b.cpu;
        this.subnets = List.copyOf(b.subnets);
        this.retries = b.retries;
        this.mode = b.mode;
        this.startTimeout = b.startTimeout;
        this.container = b.container;
    }

    static Builder builder() {
        return new Builder();
    }

    @JsonProperty("cpu")
    String cpu() {
        return cpu;
    }

    @JsonProperty("subnets")
    List<String> subnets() {
        return subnets;
    }

    @JsonProperty("retries")
    int retries() {
        return retries;
    }

    @JsonProperty("mode")
    Mode mode() {
        return mode;
    }

    @JsonProperty("startTimeout")
    Duration startTimeout() {
        return startTimeout;
    }

    @JsonProperty("container")
    Container container() {
        return container;
    }

    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        return executor().execute(flow, run);
    }

    /** Builds it. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private String cpu;
        private final List<String> subnets = new ArrayList<>();
        private int retries;
        private Mode mode;
        private Duration startTimeout;
        private Container container;

        @JsonProperty("cpu")
        Builder cpu(String value) {
            this.cpu = value;
            return this;
        }

        @JsonProperty("subnets")
        Builder subnets(List<String> values) {
            subnets.addAll(values);
            return this;
        }

        @JsonProperty("retries")
        Builder retries(int value) {
            if (value < 0) {
                throw new ConfigurationException("SettingsTestEnvironment", List.of("retries must be >= 0, was "
                        + value));
            }
            this.retries = value;
            return this;
        }

        @JsonProperty("mode")
        Builder mode(Mode value) {
            this.mode = value;
            return this;
        }

        @JsonProperty("startTimeout")
        Builder startTimeout(Duration value) {
            this.startTimeout = value;
            return this;
        }

        @JsonProperty("container")
        Builder container(Container value) {
            this.container = value;
            return this;
        }

        /** Builds it. */
        public SettingsTestEnvironment build() {
            return new SettingsTestEnvironment(this);
        }
    }

    /** Registers {@code core-test}. */
    public static final class Types implements TypeProvider {
        @Override
        public Map<String, Class<? extends Environment>> environments() {
            return Map.of("core-test", SettingsTestEnvironment.class);
        }
    }

    /** Registers {@code core-hidden}; listed in no service file on the class path (see SerializationTest). */
    public static final class HiddenTypes implements TypeProvider {
        @Override
        public Map<String, Class<? extends Environment>> environments() {
            return Map.of("core-hidden", Hidden.class);
        }
    }

    /** An environment type only a child class loader registers. */
    @JsonDeserialize(builder = Hidden.Builder.class)
    public static final class Hidden extends AbstractEnvironment {
        private Hidden(Builder b) {
            super(b);
        }

        @Override
        protected FlowRunResult doExecute(Flow flow, FlowRun run) {
            return executor().execute(flow, run);
        }

        /** Builds it. */
        @JsonPOJOBuilder(withPrefix = "")
        public static final class Builder extends AbstractEnvironment.Builder<Builder> {
            /** Builds it. */
            public Hidden build() {
                return new Hidden(this);
            }
        }
    }
}
