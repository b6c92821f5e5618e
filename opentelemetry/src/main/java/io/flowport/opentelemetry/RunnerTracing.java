package io.flowport.opentelemetry;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.spi.Instrumentation;
import io.flowport.core.spi.RunObservation;
import io.opentelemetry.api.GlobalOpenTelemetry;

import java.util.Map;

/**
 * What the runner inside a container or child process finds on its class path (registered under
 * {@code META-INF/services/io.flowport.core.spi.Instrumentation}): {@link FlowportTracing} on
 * {@link GlobalOpenTelemetry}, so that the run's spans continue the caller's trace. Configure the SDK of the image as
 * usual — the OpenTelemetry Java agent, or {@code opentelemetry-sdk-extension-autoconfigure} with
 * {@code OTEL_JAVA_GLOBAL_AUTOCONFIGURE_ENABLED=true} and {@code OTEL_EXPORTER_OTLP_ENDPOINT} — without an SDK, the
 * global instance makes no spans and this costs nothing.
 */
public final class RunnerTracing implements Instrumentation {

    private volatile FlowportTracing tracing;

    /** Creates the instrumentation; the global OpenTelemetry is looked up at the first run. */
    public RunnerTracing() {
    }

    @Override
    public RunObservation runStarted(Flow flow, FlowRun run, String environment, Map<String, String> parent) {
        FlowportTracing t = tracing;
        if (t == null) {
            t = FlowportTracing.create(GlobalOpenTelemetry.get());
            tracing = t;
        }
        return t.runStarted(flow, run, environment, parent);
    }
}
