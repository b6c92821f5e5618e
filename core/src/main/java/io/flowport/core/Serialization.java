package io.flowport.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.internal.Json;
import io.flowport.core.spi.TypeProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns environments and storages into JSON (or YAML) with a {@code type} discriminator, and back. Types are
 * discovered with {@link ServiceLoader} from {@link TypeProvider}s, so adding a provider module to the
 * classpath is all it takes. Secrets and callbacks are never written.
 */
public final class Serialization {

    private static final Logger LOG = LoggerFactory.getLogger(Serialization.class);

    /** Where each type Flowport knows of lives, so that an unknown type can name the artifact to add. */
    private static final Map<String, String> KNOWN_ARTIFACTS = Map.ofEntries(
            Map.entry("local", "io.flowport:flowport-env-local"),
            Map.entry("local-process", "io.flowport:flowport-env-local"),
            Map.entry("fargate-task", "io.flowport:flowport-env-fargate"),
            Map.entry("kubernetes-job", "io.flowport:flowport-env-kubernetes"),
            Map.entry("dask-kubernetes", "io.flowport:flowport-env-kubernetes"),
            Map.entry("dask-cloud-provider", "io.flowport:flowport-env-dask-cloud"),
            Map.entry("cloud-run-job", "io.flowport:flowport-env-cloud-run"),
            Map.entry("aci", "io.flowport:flowport-env-aci"),
            Map.entry("image", "io.flowport:flowport-storage-image"));

    private static volatile Registry registry;

    private Serialization() {
    }

    /** Serializes an environment to one line of JSON, {@code type} first. */
    public static String toJson(Environment environment) {
        return write(environmentType(environment.getClass()), environment);
    }

    /** Serializes a storage to one line of JSON, {@code type} first. */
    public static String toJson(Storage storage) {
        return write(storageType(storage.getClass()), storage);
    }

    /**
     * Reads an environment from JSON.
     *
     * @throws ProviderNotFoundException if its type is not on the classpath (the message names the artifact)
     * @throws ConfigurationException    if the JSON is malformed or a setting is invalid
     */
    public static Environment environmentFromJson(String json) {
        return read(Json.mapper(), json, "environment", registry().environments, Environment.class);
    }

    /** Reads an environment from YAML. Same errors as {@link #environmentFromJson(String)}. */
    public static Environment environmentFromYaml(String yaml) {
        return read(Json.yaml(), yaml, "environment", registry().environments, Environment.class);
    }

    /** Reads an environment from a {@code .json}, {@code .yaml} or {@code .yml} file. Blocking. */
    public static Environment readEnvironment(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read environment file " + file + ": " + e.getMessage());
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml") ? environmentFromYaml(text) : environmentFromJson(text);
    }

    /** Reads a storage from JSON. Same errors as {@link #environmentFromJson(String)}. */
    public static Storage storageFromJson(String json) {
        return read(Json.mapper(), json, "storage", registry().storages, Storage.class);
    }

    /** The type names of the environments on the classpath. */
    public static Set<String> environmentTypes() {
        return registry().environments.keySet();
    }

    /** The type names of the storages on the classpath. */
    public static Set<String> storageTypes() {
        return registry().storages.keySet();
    }

    /**
     * The type name of an environment class.
     *
     * @throws ProviderNotFoundException if no {@link TypeProvider} registers it
     */
    public static String environmentType(Class<?> type) {
        return typeOf(type, registry().environmentNames, "environment");
    }

    /** The type name of a storage class. */
    public static String storageType(Class<?> type) {
        return typeOf(type, registry().storageNames, "storage");
    }

    private static String typeOf(Class<?> type, Map<Class<?>, String> names, String kind) {
        String name = names.get(type);
        if (name == null) {
            throw new ProviderNotFoundException(kind + " class " + type.getName() + " has no type name: register it"
                    + " with a " + TypeProvider.class.getName() + " listed in META-INF/services");
        }
        return name;
    }

    private static String write(String type, Object value) {
        ObjectMapper m = Json.mapper();
        ObjectNode node = m.createObjectNode();
        node.put("type", type);
        JsonNode body = m.valueToTree(value);
        if (body instanceof ObjectNode o) {
            o.remove("type");
            node.setAll(o);
        }
        try {
            return m.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new FlowportException("cannot serialize " + type + ": " + e.getOriginalMessage(), e);
        }
    }

    private static <T> T read(ObjectMapper m, String text, String kind, Map<String, Class<? extends T>> types,
                              Class<T> base) {
        JsonNode node;
        try {
            node = m.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigurationException("invalid " + kind + " document: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
        }
        if (!(node instanceof ObjectNode obj)) {
            throw new ConfigurationException("invalid " + kind + " document: expected an object with a 'type' field");
        }
        JsonNode typeNode = obj.remove("type");
        if (typeNode == null || !typeNode.isTextual() || typeNode.asText().isBlank()) {
            throw new ConfigurationException(kind + " document has no 'type' field; known types: "
                    + String.join(", ", types.keySet()));
        }
        String type = typeNode.asText();
        Class<? extends T> cls = types.get(type);
        if (cls == null) {
            throw unknownType(kind, type, types.keySet());
        }
        try {
            return m.treeToValue(obj, cls);
        } catch (JsonProcessingException e) {
            Throwable root = e.getCause();
            if (root instanceof ConfigurationException ce) {
                throw ce;
            }
            throw new ConfigurationException("invalid '" + type + "' " + kind + ": " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof ConfigurationException ce) {
                throw ce;
            }
            throw new ConfigurationException("invalid '" + type + "' " + kind + ": " + e.getMessage());
        }
    }

    private static ProviderNotFoundException unknownType(String kind, String type, Set<String> known) {
        String artifact = KNOWN_ARTIFACTS.get(type);
        String fix = artifact != null
                ? "add the dependency " + artifact + " (its version comes from io.flowport:flowport-bom)"
                : "check the spelling, or add the module that provides it";
        return new ProviderNotFoundException("unknown " + kind + " type '" + type + "'; known types on the classpath: "
                + (known.isEmpty() ? "(none)" : String.join(", ", known)) + "; " + fix);
    }

    private static Registry registry() {
        Registry r = registry;
        if (r == null) {
            synchronized (Serialization.class) {
                r = registry;
                if (r == null) {
                    r = Registry.load();
                    registry = r;
                }
            }
        }
        return r;
    }

    /** The types found on the classpath. */
    private static final class Registry {
        final Map<String, Class<? extends Environment>> environments = new TreeMap<>();
        final Map<String, Class<? extends Storage>> storages = new TreeMap<>();
        final Map<Class<?>, String> environmentNames = new HashMap<>();
        final Map<Class<?>, String> storageNames = new HashMap<>();

        static Registry load() {
            Registry r = new Registry();
            List<String> duplicates = new ArrayList<>();
            Map<String, String> origin = new HashMap<>();
            for (TypeProvider p : ServiceLoader.load(TypeProvider.class, Serialization.class.getClassLoader())) {
                String from = p.getClass().getName();
                add(p.environments(), r.environments, r.environmentNames, "environment", from, origin, duplicates);
                add(p.storages(), r.storages, r.storageNames, "storage", from, origin, duplicates);
            }
            if (!duplicates.isEmpty()) {
                throw new ConfigurationException("duplicate Flowport type names on the classpath", duplicates);
            }
            return r;
        }

        private static <T> void add(Map<String, Class<? extends T>> found, Map<String, Class<? extends T>> into,
                                    Map<Class<?>, String> names, String kind, String from,
                                    Map<String, String> origin, List<String> duplicates) {
            for (Map.Entry<String, Class<? extends T>> e : found.entrySet()) {
                String key = kind + ":" + e.getKey();
                String previous = origin.putIfAbsent(key, from);
                if (previous != null) {
                    duplicates.add(kind + " type '" + e.getKey() + "' is registered by both " + previous + " and " + from);
                    continue;
                }
                into.put(e.getKey(), e.getValue());
                names.put(e.getValue(), e.getKey());
                LOG.debug("{} type '{}' -> {} (from {})", kind, e.getKey(), e.getValue().getName(), from);
            }
        }
    }
}
