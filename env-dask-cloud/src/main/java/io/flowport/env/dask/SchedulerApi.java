package io.flowport.env.dask;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.FlowportException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The scheduler's HTTP API on its dashboard port ({@code /health}, {@code /api/v1/get_workers},
 * {@code /api/v1/adaptive_target}, {@code POST /api/v1/retire_workers}), over HTTPS with the cluster's CA when
 * the cluster uses TLS. Blocking calls with a short timeout.
 */
final class SchedulerApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final HttpClient http;

    SchedulerApi(URI base, DaskTls tls) {
        this.base = base;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(TIMEOUT);
        if (tls != null) {
            b.sslContext(tls.clientContext());
        }
        this.http = b.build();
    }

    /** The dashboard's address. */
    URI base() {
        return base;
    }

    /** Whether the scheduler answers its health check. */
    boolean healthy() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/health")).timeout(TIMEOUT)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().trim().equals("ok");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The workers the scheduler knows: name to address. */
    Map<String, String> workers() {
        JsonNode n = get("/api/v1/get_workers");
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (JsonNode w : n.path("workers")) {
            out.put(w.path("name").asText(), w.path("address").asText());
        }
        return out;
    }

    /** How many workers the scheduler wants for its current load. */
    int adaptiveTarget() {
        return get("/api/v1/adaptive_target").path("workers").asInt();
    }

    /**
     * Retires {@code n} workers the scheduler chooses (idle ones first): their data moves to the others first,
     * then they close.
     *
     * @return the names of the workers retired
     */
    List<String> retire(int n) {
        JsonNode r = post("/api/v1/retire_workers", "{\"n\":" + n + "}");
        List<String> names = new ArrayList<>();
        r.properties().forEach(e -> names.add(e.getValue().path("name").asText(e.getKey())));
        return names;
    }

    private JsonNode get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET().build());
    }

    private JsonNode post(String path, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private JsonNode send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new FlowportException(request.method() + " " + request.uri().getPath() + " answered "
                        + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new FlowportException(request.method() + " " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlowportException("interrupted during " + request.method() + " " + request.uri(), e);
        }
    }
}
