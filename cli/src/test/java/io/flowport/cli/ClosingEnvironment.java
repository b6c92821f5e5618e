package io.flowport.cli;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.Environment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An environment that holds something to release, as remote environments hold SDK clients and pollers:
 * registered as {@code cli-test-closing}; counts its closes.
 */
@JsonDeserialize(builder = ClosingEnvironment.Builder.class)
public final class ClosingEnvironment extends AbstractEnvironment implements AutoCloseable {

    static final AtomicInteger CLOSED = new AtomicInteger();

    private ClosingEnvironment(Builder b) {
        super(b);
    }

    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        return executor().execute(flow, run);
    }

    @Override
    public void close() {
        CLOSED.incrementAndGet();
    }

    /** Builds it. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        /** Builds it. */
        public ClosingEnvironment build() {
            return new ClosingEnvironment(this);
        }
    }

    /** Registers {@code cli-test-closing}. */
    public static final class Types implements TypeProvider {
        @Override
        public Map<String, Class<? extends Environment>> environments() {
            return Map.of("cli-test-closing", ClosingEnvironment.class);
        }
    }
}
