package io.flowport.env.dask.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Role of the module README, and the requests a client made as (resource, verb) pairs in RBAC's terms, so that a
 * test can hold the README to what the code does.
 */
final class RbacRules {

    private static final Pattern CORE_PATH = Pattern.compile("/api/v1/namespaces/[^/]+/([^/]+)(?:/([^/]+)(?:/([^/]+))?)?");

    private RbacRules() {
    }

    /** The Role's rules in the README's RBAC section: "resource" → verbs (core API group only). */
    static Map<String, TreeSet<String>> fromReadme(Path readme) throws IOException {
        String text = Files.readString(readme);
        int section = text.indexOf("### RBAC", text.indexOf("## DaskKubernetesEnvironment"));
        int start = text.indexOf("```yaml", section) + "```yaml".length();
        int end = text.indexOf("```", start);
        JsonNode role = new YAMLMapper().readTree(text.substring(start, end));
        Map<String, TreeSet<String>> rules = new TreeMap<>();
        for (JsonNode rule : role.path("rules")) {
            for (JsonNode group : rule.path("apiGroups")) {
                if (!group.asText().isEmpty()) {
                    throw new IllegalStateException("only the core API group is expected, found " + group);
                }
            }
            for (JsonNode resource : rule.path("resources")) {
                TreeSet<String> verbs = rules.computeIfAbsent(resource.asText(), k -> new TreeSet<>());
                rule.path("verbs").forEach(v -> verbs.add(v.asText()));
            }
        }
        return rules;
    }

    /** A request as "resource verb", e.g. {@code pods watch}, {@code pods/log get}. */
    static String permission(String method, URI uri) {
        Matcher m = CORE_PATH.matcher(uri.getPath());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a namespaced core API request: " + method + " " + uri);
        }
        String resource = m.group(1) + (m.group(3) != null ? "/" + m.group(3) : "");
        boolean named = m.group(2) != null;
        String query = uri.getQuery() == null ? "" : uri.getQuery();
        String verb = switch (method) {
            case "GET" -> named ? "get" : query.contains("watch=true") ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> throw new IllegalArgumentException(method);
        };
        return resource + " " + verb;
    }

    /** A client of {@code url} that records every request it makes as {@link #permission}. */
    static KubernetesClient recording(String url, String namespace, List<String> permissions) {
        Interceptor recorder = new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                permissions.add(permission(request.method(), request.uri()));
            }
        };
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url)
                        .withNamespace(namespace).build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("rbac-recorder", recorder)).build();
    }

    static List<String> newLog() {
        return new CopyOnWriteArrayList<>();
    }
}
