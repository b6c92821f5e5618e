package io.flowport.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBase;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.SettableBeanProperty;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.PropertyBindingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.internal.Json;
import io.flowport.core.spi.TypeProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.stream.Collectors;

/**
 * Turns environments and storages into JSON or YAML with a {@code type} discriminator, and back. Types are
 * discovered with {@link ServiceLoader} from {@link TypeProvider}s, so adding a provider module to the class
 * path is all it takes. Secrets and callbacks are never written.
 *
 * <p>Types are looked up through the calling thread's context class loader when it sees the same
 * {@link TypeProvider} interface as this class (so that a launcher can add provider jars at run time, as the
 * {@code flowport} command does with its plugin directory), and through Flowport's own class loader otherwise.
 *
 * <p>Documents are read strictly: an unknown setting, a value of the wrong kind or a malformed document is a
 * {@link ConfigurationException} that names the setting, the document's {@code type}, the known settings
 * closest to a misspelt one, and what was expected. Every unknown setting of a document is reported at once.
 */
public final class Serialization {

    private static final Logger LOG = LoggerFactory.getLogger(Serialization.class);

    /**
     * The artifact that provides each type Flowport publishes (environments, storages, executors), so that an
     * unknown type can name the artifact to add. Only artifacts that exist (or are about to, with the module that registers the type) belong here; the
     * integration tests check every entry against the types registered on their class path and the BOM.
     */
    private static final Map<String, String> KNOWN_ARTIFACTS = Map.ofEntries(
            Map.entry("classpath", "io.flowport:flowport-core"),
            Map.entry("local-directory", "io.flowport:flowport-core"),
            Map.entry("local", "io.flowport:flowport-env-local"),
            Map.entry("local-process", "io.flowport:flowport-env-local"),
            Map.entry("fargate-task", "io.flowport:flowport-env-fargate"),
            Map.entry("kubernetes-job", "io.flowport:flowport-env-kubernetes"),
            Map.entry("image", "io.flowport:flowport-storage-image"),
            Map.entry("dask-cloud-provider", "io.flowport:flowport-env-dask-cloud"),
            Map.entry("dask-kubernetes", "io.flowport:flowport-env-dask-cloud"),
            Map.entry("dask", "io.flowport:flowport-env-dask-cloud"),
            Map.entry("cloud-run-job", "io.flowport:flowport-env-cloud-run"),
            Map.entry("aci-container-group", "io.flowport:flowport-env-aci"));

    /** The registry of Flowport's own class loader: the common case, kept strongly. */
    private static volatile Registry ownRegistry;
    /** Registries of other class loaders; soft, so that a discarded class loader can be collected. */
    private static final Map<ClassLoader, SoftReference<Registry>> REGISTRIES = new WeakHashMap<>();

    private Serialization() {
    }

    /** Serializes an environment to one line of JSON, {@code type} first. */
    public static String toJson(Environment environment) {
        return write(registry().json, environmentType(environment.getClass()), environment);
    }

    /** Serializes a storage to one line of JSON, {@code type} first. */
    public static String toJson(Storage storage) {
        return write(registry().json, storageType(storage.getClass()), storage);
    }

    /**
     * Serializes an environment to a YAML document, {@code type} first, that {@link #environmentFromYaml(String)}
     * reads back to an equal environment. Strings that YAML would read as numbers or booleans are quoted.
     */
    public static String toYaml(Environment environment) {
        return write(registry().yaml, environmentType(environment.getClass()), environment);
    }

    /** Serializes a storage to a YAML document, {@code type} first; {@link #storageFromYaml(String)} reads it. */
    public static String toYaml(Storage storage) {
        return write(registry().yaml, storageType(storage.getClass()), storage);
    }

    /**
     * Reads an environment from JSON.
     *
     * @throws ProviderNotFoundException if its type is not on the class path (the message names the artifact)
     * @throws ConfigurationException    if the document is malformed, a setting is unknown, of the wrong kind or
     *                                   invalid
     */
    public static Environment environmentFromJson(String json) {
        Registry r = registry();
        return read(r.json, "JSON", json, "environment", r.environments);
    }

    /** Reads an environment from YAML. Same errors as {@link #environmentFromJson(String)}. */
    public static Environment environmentFromYaml(String yaml) {
        Registry r = registry();
        return read(r.yaml, "YAML", yaml, "environment", r.environments);
    }

    /** Reads an environment from a {@code .json}, {@code .yaml} or {@code .yml} file. Blocking. */
    public static Environment readEnvironment(Path file) {
        String text = readFile(file, "environment");
        return isYaml(file) ? environmentFromYaml(text) : environmentFromJson(text);
    }

    /** Reads a storage from JSON. Same errors as {@link #environmentFromJson(String)}. */
    public static Storage storageFromJson(String json) {
        Registry r = registry();
        return read(r.json, "JSON", json, "storage", r.storages);
    }

    /** Reads a storage from YAML. Same errors as {@link #environmentFromJson(String)}. */
    public static Storage storageFromYaml(String yaml) {
        Registry r = registry();
        return read(r.yaml, "YAML", yaml, "storage", r.storages);
    }

    /** Reads a storage from a {@code .json}, {@code .yaml} or {@code .yml} file. Blocking. */
    public static Storage readStorage(Path file) {
        String text = readFile(file, "storage");
        return isYaml(file) ? storageFromYaml(text) : storageFromJson(text);
    }

    /** The type names of the environments on the class path. */
    public static Set<String> environmentTypes() {
        return registry().environments.keySet();
    }

    /** The type names of the storages on the class path. */
    public static Set<String> storageTypes() {
        return registry().storages.keySet();
    }

    /**
     * Every type Flowport publishes, whether or not it is on the class path, with the Maven coordinates
     * ({@code groupId:artifactId}) of the artifact that provides it. The version comes from
     * {@code io.flowport:flowport-bom}.
     */
    public static Map<String, String> knownArtifacts() {
        return new TreeMap<>(KNOWN_ARTIFACTS);
    }

    /**
     * The type name of an environment class.
     *
     * @throws ProviderNotFoundException if no {@link TypeProvider} registers it
     */
    public static String environmentType(Class<?> type) {
        return typeOf(type, registryFor(type).environmentNames, "environment");
    }

    /**
     * The type name of an environment class, if a {@link TypeProvider} registers it (empty otherwise: such an
     * environment cannot be serialized).
     */
    public static Optional<String> findEnvironmentType(Class<?> type) {
        return Optional.ofNullable(registryFor(type).environmentNames.get(type));
    }

    /**
     * The type name of a storage class.
     *
     * @throws ProviderNotFoundException if no {@link TypeProvider} registers it
     */
    public static String storageType(Class<?> type) {
        return typeOf(type, registryFor(type).storageNames, "storage");
    }

    private static String typeOf(Class<?> type, Map<Class<?>, String> names, String kind) {
        String name = names.get(type);
        if (name == null) {
            throw new ProviderNotFoundException(kind + " class " + type.getName() + " has no type name: register it"
                    + " with a " + TypeProvider.class.getName() + " listed in META-INF/services");
        }
        return name;
    }

    private static String readFile(Path file, String kind) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read " + kind + " file " + file + ": " + e.getMessage());
        }
    }

    private static boolean isYaml(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static String write(ObjectMapper m, String type, Object value) {
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

    private static <T> T read(ObjectMapper m, String format, String text, String kind,
                              Map<String, Class<? extends T>> types) {
        JsonNode node;
        try {
            node = m.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            ConfigurationException ce = new ConfigurationException("the " + kind + " document is not valid " + format
                    + (at == null || at.getLineNr() < 0 ? "" : " (line " + at.getLineNr() + ", column "
                    + at.getColumnNr() + ")"));
            ce.initCause(e);
            throw ce;
        }
        if (!(node instanceof ObjectNode obj)) {
            throw new ConfigurationException("the " + kind + " document must be an object with a `type` (one of "
                    + String.join(", ", types.keySet()) + "), got " + got(node));
        }
        JsonNode typeNode = obj.remove("type");
        if (typeNode == null || !typeNode.isTextual() || typeNode.asText().isBlank()) {
            throw new ConfigurationException("the " + kind + " document has no `type` setting (a string); known "
                    + "types: " + String.join(", ", types.keySet()));
        }
        String type = typeNode.asText();
        Class<? extends T> cls = types.get(type);
        if (cls == null) {
            throw unknownType(kind, type, types.keySet());
        }
        return new DocumentReader(m, kind, type, obj).read(cls);
    }

    private static ProviderNotFoundException unknownType(String kind, String type, Set<String> known) {
        String artifact = KNOWN_ARTIFACTS.get(type);
        String fix;
        if (artifact != null) {
            fix = "add the dependency " + artifact + " (its version comes from io.flowport:flowport-dependencies "
                    + "or io.flowport:flowport-bom)";
        } else {
            List<String> close = io.flowport.core.spi.Names.closest(type, known);
            fix = (close.isEmpty() ? "" : "did you mean " + quoted(close) + "? ")
                    + "check the spelling, or add the module that provides it";
        }
        return new ProviderNotFoundException("unknown " + kind + " type '" + type + "'; known types on the classpath: "
                + (known.isEmpty() ? "(none)" : String.join(", ", known)) + "; " + fix);
    }

    /**
     * Reads one document into its class and turns whatever goes wrong into problems in Flowport's words: the
     * setting's path, the document's type, what was expected and what was found, never Jackson's text or the
     * name of a class that binds the settings.
     */
    private static final class DocumentReader extends DeserializationProblemHandler {
        private final ObjectMapper mapper;
        private final String kind;
        private final String type;
        private final ObjectNode document;
        private final List<String> problems = new ArrayList<>();

        DocumentReader(ObjectMapper mapper, String kind, String type, ObjectNode document) {
            this.mapper = mapper;
            this.kind = kind;
            this.type = type;
            this.document = document;
        }

        <T> T read(Class<T> cls) {
            ObjectReader reader = mapper.readerFor(cls).withHandler(this);
            T value;
            try {
                value = reader.readValue(mapper.treeAsTokens(document));
            } catch (IOException | IllegalArgumentException e) {
                ConfigurationException own = configurationCause(e);
                if (own != null) {
                    if (problems.isEmpty()) {
                        throw own;
                    }
                    problems.addAll(own.problems());
                } else {
                    problems.add(describe(e));
                }
                throw failure(e);
            }
            if (!problems.isEmpty()) {
                throw failure(null);
            }
            return value;
        }

        /** {@code a `local` environment}, {@code an `image` storage}. */
        private String what() {
            return ("aeiou".indexOf(type.charAt(0)) >= 0 ? "an `" : "a `") + type + "` " + kind;
        }

        private ConfigurationException failure(Throwable cause) {
            ConfigurationException ce = problems.size() == 1
                    ? new ConfigurationException(problems.get(0))
                    : new ConfigurationException("the `" + type + "` " + kind + " document", problems);
            if (cause != null) {
                ce.initCause(cause);
            }
            return ce;
        }

        /** Records every unknown setting and reads on, so that one error lists them all. */
        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                                             JsonDeserializer<?> deserializer, Object beanOrClass,
                                             String propertyName) throws IOException {
            String path = path(p, propertyName);
            Set<String> known = new TreeSet<>();
            if (deserializer != null) {
                for (Object k : deserializer.getKnownPropertyNames()) {
                    if (!isCallback(deserializer, String.valueOf(k))) {
                        known.add(String.valueOf(k));
                    }
                }
            }
            problems.add(unknownSetting(path, propertyName, known));
            p.skipChildren();
            return true;
        }

        /**
         * The dotted path of the unknown setting {@code name} the parser stands on, e.g. {@code a[0].imag}. The
         * parser's contexts name the way down; they are checked against the document, because a parser that
         * buffers (for a creator) repeats or leaves out levels.
         */
        private String path(JsonParser p, String name) {
            List<JsonStreamContext> chain = new ArrayList<>();
            for (JsonStreamContext c = p.getParsingContext(); c != null; c = c.getParent()) {
                chain.add(0, c);
            }
            JsonToken t = p.currentToken();
            if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && !chain.isEmpty()) {
                // the parser may have entered the value's own container already
                JsonStreamContext last = chain.get(chain.size() - 1);
                if (last.inArray() || last.inObject() && last.getCurrentName() == null) {
                    chain.remove(chain.size() - 1);
                }
            }
            StringBuilder sb = new StringBuilder();
            JsonNode node = document;
            for (JsonStreamContext c : chain) {
                if (c.inObject() && c.getCurrentName() != null && node != null && node.isObject()
                        && node.has(c.getCurrentName())) {
                    sb.append(sb.length() == 0 ? "" : ".").append(c.getCurrentName());
                    node = node.get(c.getCurrentName());
                } else if (c.inArray() && node != null && node.isArray() && c.getCurrentIndex() >= 0
                        && c.getCurrentIndex() < node.size()) {
                    sb.append('[').append(c.getCurrentIndex()).append(']');
                    node = node.get(c.getCurrentIndex());
                }
            }
            String path = sb.toString();
            return path.equals(name) || path.endsWith("." + name) ? path : name;
        }

        /** Callbacks are set in code only; a document cannot hold one, so they are not offered as settings. */
        private static boolean isCallback(JsonDeserializer<?> deserializer, String name) {
            if (deserializer instanceof BeanDeserializerBase bean) {
                SettableBeanProperty property = bean.findProperty(name);
                return property != null && isCallback(property.getType().getRawClass());
            }
            return false;
        }

        private static boolean isCallback(Class<?> type) {
            return type != null && type.isInterface() && type.isAnnotationPresent(FunctionalInterface.class);
        }

        private String unknownSetting(String path, String name, Set<String> known) {
            StringBuilder sb = new StringBuilder("unknown setting `").append(path).append("` in ").append(what());
            List<String> close = io.flowport.core.spi.Names.closest(name, known);
            if (!close.isEmpty()) {
                sb.append(": did you mean ").append(quoted(close)).append('?');
            }
            if (!known.isEmpty()) {
                String parent = parent(path);
                sb.append(close.isEmpty() ? ". " : " ").append("Known settings")
                        .append(parent.isEmpty() ? "" : " of `" + parent + "`")
                        .append(": ").append(String.join(", ", known));
            }
            return sb.toString();
        }

        private String describe(Exception e) {
            if (e instanceof JsonMappingException jme) {
                String path = Serialization.path(jme.getPath());
                JsonNode found = at(jme.getPath());
                String setting = path.isEmpty() ? "the `" + type + "` " + kind
                        : "setting `" + path + "` of " + what();
                if (jme instanceof InvalidTypeIdException ite) {
                    List<String> names = subtypes(ite.getBaseType());
                    String field = path.isEmpty() ? "type" : path + ".type";
                    if (ite.getTypeId() == null) {
                        return "setting `" + path + "` of " + what() + ": needs a `type`"
                                + (names.isEmpty() ? "" : " (one of " + String.join(", ", names) + ")");
                    }
                    List<String> close = io.flowport.core.spi.Names.closest(ite.getTypeId(), names);
                    String artifact = KNOWN_ARTIFACTS.get(ite.getTypeId());
                    return "setting `" + field + "` of " + what() + ": unknown type '"
                            + ite.getTypeId() + "'" + (close.isEmpty() ? "" : "; did you mean " + quoted(close) + "?")
                            + (names.isEmpty() ? "" : "; known types: " + String.join(", ", names))
                            + (artifact == null ? "" : "; add the dependency " + artifact);
                }
                if (jme instanceof InvalidFormatException ife && ife.getTargetType() != null
                        && ife.getTargetType().isEnum()) {
                    return setting + ": expected " + expected(ife.getTargetType()) + ", got '"
                            + Json.describe(ife.getValue()).replace("'", "") + "'";
                }
                if (jme instanceof InvalidDefinitionException ide && ide.getType() != null
                        && isCallback(ide.getType().getRawClass())) {
                    return setting + ": a callback is set in code, it cannot be given in a document";
                }
                if (jme instanceof PropertyBindingException pbe) {
                    // a property the class knows but cannot take (e.g. ignored on purpose)
                    return "setting `" + (path.isEmpty() ? pbe.getPropertyName() : path) + "` cannot be set in "
                            + what();
                }
                if (jme instanceof ValueInstantiationException || jme.getCause() != null
                        && !(jme.getCause() instanceof JsonProcessingException)) {
                    Throwable cause = jme.getCause();
                    if (cause instanceof DateTimeParseException) {
                        return setting + ": expected a duration like PT10M or PT30S, got '"
                                + ((DateTimeParseException) cause).getParsedString() + "'";
                    }
                    if (cause instanceof IllegalArgumentException || cause instanceof IllegalStateException) {
                        if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
                            return setting + ": " + cause.getMessage();
                        }
                    }
                    return setting + ": " + (cause instanceof NullPointerException ? "must not be or contain null"
                            : "cannot be read from " + got(found));
                }
                if (jme instanceof MismatchedInputException mie) {
                    String expected = expected(mie.getTargetType());
                    return setting + ": expected " + expected + ", got " + got(found);
                }
                return setting + ": cannot be read from " + got(found);
            }
            return "the `" + type + "` " + kind + " document cannot be read: " + e.getClass().getSimpleName();
        }

        /** The node at a Jackson path inside the document, or null. */
        private JsonNode at(List<JsonMappingException.Reference> refs) {
            JsonNode n = document;
            for (JsonMappingException.Reference r : refs) {
                if (n == null) {
                    return null;
                }
                n = r.getFieldName() != null ? n.get(r.getFieldName()) : r.getIndex() >= 0 ? n.get(r.getIndex()) : n;
            }
            return n;
        }

        private List<String> subtypes(JavaType base) {
            if (base == null) {
                return List.of();
            }
            try {
                DeserializationConfig config = mapper.getDeserializationConfig();
                Collection<NamedType> named = mapper.getSubtypeResolver().collectAndResolveSubtypesByTypeId(config,
                        config.introspectClassAnnotations(base).getClassInfo());
                return named.stream().map(NamedType::getName).filter(Objects::nonNull).sorted().distinct()
                        .collect(Collectors.toList());
            } catch (RuntimeException e) {
                return List.of();
            }
        }
    }

    private static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut <= 0 ? "" : path.substring(0, cut);
    }

    /** A Jackson path as {@code a.b[0].c}. */
    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static ConfigurationException configurationCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigurationException ce) {
                return ce;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** What a setting of this Java type takes, in the document's words. */
    static String expected(Class<?> t) {
        if (t == null) {
            return "another kind of value";
        }
        if (t == String.class || t == char.class || t == Character.class || t == CharSequence.class) {
            return "a string";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "true or false";
        }
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class || t == short.class
                || t == Short.class || t == byte.class || t == Byte.class || t == BigInteger.class) {
            return "a whole number";
        }
        if (t == double.class || t == Double.class || t == float.class || t == Float.class || t == BigDecimal.class
                || Number.class.isAssignableFrom(t)) {
            return "a number";
        }
        if (t.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object c : t.getEnumConstants()) {
                names.add(((Enum<?>) c).name());
            }
            return "one of " + String.join(", ", names);
        }
        if (t.isArray() || Collection.class.isAssignableFrom(t) || Iterable.class.isAssignableFrom(t)) {
            return "an array";
        }
        if (t == Duration.class) {
            return "a duration like PT10M or PT30S";
        }
        if (Path.class.isAssignableFrom(t) || t == File.class) {
            return "a path (a string)";
        }
        if (t == URI.class || t == URL.class) {
            return "a URL (a string)";
        }
        return "an object";
    }

    /** What a document holds at some place, in the document's words. */
    static String got(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        if (n.isNull()) {
            return "null";
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isObject()) {
            return "an object";
        }
        if (n.isTextual()) {
            return "a string";
        }
        if (n.isBoolean()) {
            return "a boolean";
        }
        if (n.isIntegralNumber()) {
            return "a whole number";
        }
        if (n.isNumber()) {
            return "a number";
        }
        return "a value of another kind";
    }

    private static String quoted(List<String> names) {
        List<String> q = names.stream().map(n -> "`" + n + "`").collect(Collectors.toList());
        if (q.size() == 1) {
            return q.get(0);
        }
        return String.join(", ", q.subList(0, q.size() - 1)) + " or " + q.get(q.size() - 1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // type registry

    private static Registry registry() {
        return registry(lookupLoader(Thread.currentThread().getContextClassLoader()));
    }

    private static Registry registryFor(Class<?> type) {
        Registry own = registry(Serialization.class.getClassLoader());
        if (own.environmentNames.containsKey(type) || own.storageNames.containsKey(type)) {
            return own;
        }
        Registry r = registry(lookupLoader(type.getClassLoader()));
        if (r != own && (r.environmentNames.containsKey(type) || r.storageNames.containsKey(type))) {
            return r;
        }
        return registry();
    }

    /** {@code candidate} if it sees this class's TypeProvider interface (not another copy of it), else our own. */
    private static ClassLoader lookupLoader(ClassLoader candidate) {
        ClassLoader own = Serialization.class.getClassLoader();
        if (candidate == null || candidate == own) {
            return own;
        }
        try {
            if (Class.forName(TypeProvider.class.getName(), false, candidate) == TypeProvider.class) {
                return candidate;
            }
        } catch (ClassNotFoundException | LinkageError e) {
            LOG.debug("class loader {} does not see Flowport's TypeProvider; using Flowport's own", candidate);
        }
        return own;
    }

    private static Registry registry(ClassLoader loader) {
        if (loader == Serialization.class.getClassLoader()) {
            Registry r = ownRegistry;
            if (r == null) {
                synchronized (Serialization.class) {
                    r = ownRegistry;
                    if (r == null) {
                        r = Registry.load(loader);
                        ownRegistry = r;
                    }
                }
            }
            return r;
        }
        synchronized (REGISTRIES) {
            SoftReference<Registry> ref = REGISTRIES.get(loader);
            Registry r = ref == null ? null : ref.get();
            if (r == null) {
                r = Registry.load(loader);
                REGISTRIES.put(loader, new SoftReference<>(r));
            }
            return r;
        }
    }

    /** The types a class loader sees. */
    private static final class Registry {
        final Map<String, Class<? extends Environment>> environments = new TreeMap<>();
        final Map<String, Class<? extends Storage>> storages = new TreeMap<>();
        final Map<Class<?>, String> environmentNames = new HashMap<>();
        final Map<Class<?>, String> storageNames = new HashMap<>();
        /** Mappers that also know the executor types this class loader sees (e.g. {@code dask} from a plugin). */
        com.fasterxml.jackson.databind.ObjectMapper json = Json.mapper();
        com.fasterxml.jackson.databind.ObjectMapper yaml = Json.yaml();

        static Registry load(ClassLoader loader) {
            Registry r = new Registry();
            List<String> duplicates = new ArrayList<>();
            Map<String, String> origin = new HashMap<>();
            List<com.fasterxml.jackson.databind.jsontype.NamedType> executors = new ArrayList<>();
            for (TypeProvider p : ServiceLoader.load(TypeProvider.class, loader)) {
                String from = p.getClass().getName();
                add(p.environments(), r.environments, r.environmentNames, "environment", from, origin, duplicates);
                add(p.storages(), r.storages, r.storageNames, "storage", from, origin, duplicates);
                p.executors().forEach((name, type) -> executors.add(
                        new com.fasterxml.jackson.databind.jsontype.NamedType(type, name)));
            }
            if (loader != Serialization.class.getClassLoader() && !executors.isEmpty()) {
                // the shared mappers only know the executors of core's own class loader
                r.json = Json.mapper().copy();
                r.yaml = Json.yaml().copy();
                executors.forEach(t -> {
                    r.json.registerSubtypes(t);
                    r.yaml.registerSubtypes(t);
                });
            }
            if (!duplicates.isEmpty()) {
                throw new ConfigurationException("duplicate Flowport type names on the class path", duplicates);
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
                    duplicates.add(kind + " type '" + e.getKey() + "' is registered by both " + previous + " and "
                            + from);
                    continue;
                }
                into.put(e.getKey(), e.getValue());
                names.put(e.getValue(), e.getKey());
                LOG.debug("{} type '{}' -> {} (from {})", kind, e.getKey(), e.getValue().getName(), from);
            }
        }
    }

}
