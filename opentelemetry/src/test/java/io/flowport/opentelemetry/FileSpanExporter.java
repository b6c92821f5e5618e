package io.flowport.opentelemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A span exporter for tests that appends each span as one JSON line to a file: how the child JVM of a run hands its
 * spans to the test. It is plugged into the OpenTelemetry SDK's own autoconfiguration (exporter name
 * {@value #NAME}, file from the {@code flowport.test.spans} property), as a real exporter would be; the runner under
 * test knows nothing of it.
 */
public final class FileSpanExporter implements SpanExporter {

    /** The exporter's name for {@code otel.traces.exporter}. */
    public static final String NAME = "flowport-test-file";
    /** The property naming the file. */
    public static final String FILE_PROPERTY = "flowport.test.spans";

    private final Path file;
    private final ObjectMapper mapper = new ObjectMapper();

    FileSpanExporter(Path file) {
        this.file = file;
    }

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
        StringBuilder lines = new StringBuilder();
        for (SpanData s : spans) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", s.getName());
            o.put("traceId", s.getTraceId());
            o.put("spanId", s.getSpanId());
            o.put("parentSpanId", s.getParentSpanId());
            o.put("kind", s.getKind().name());
            o.put("status", s.getStatus().getStatusCode().name());
            Map<String, Object> attributes = new LinkedHashMap<>();
            s.getAttributes().forEach((k, v) -> attributes.put(k.getKey(), v));
            o.put("attributes", attributes);
            o.put("events", s.getEvents().stream().map(e -> e.getName()).toList());
            try {
                lines.append(mapper.writeValueAsString(o)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try {
            Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            return CompletableResultCode.ofSuccess();
        } catch (IOException e) {
            return CompletableResultCode.ofFailure();
        }
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }

    /** The autoconfiguration hook. */
    public static final class Provider implements ConfigurableSpanExporterProvider {
        @Override
        public SpanExporter createExporter(ConfigProperties config) {
            String path = config.getString(FILE_PROPERTY);
            if (path == null) {
                throw new IllegalStateException(FILE_PROPERTY + " is not set");
            }
            return new FileSpanExporter(Paths.get(path));
        }

        @Override
        public String getName() {
            return NAME;
        }
    }
}
