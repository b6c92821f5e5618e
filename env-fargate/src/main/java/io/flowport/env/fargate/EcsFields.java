package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.protocol.MarshallingType;
import software.amazon.awssdk.core.traits.ListTrait;
import software.amazon.awssdk.core.traits.MapTrait;
import software.amazon.awssdk.core.util.SdkAutoConstructList;
import software.amazon.awssdk.core.util.SdkAutoConstructMap;
import software.amazon.awssdk.utils.builder.SdkBuilder;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * ECS request fields written in JSON/YAML with the keys of the ECS API reference (the pass-through settings
 * {@code taskDefinition}, {@code runTaskRequest} and a container's other fields), read into the AWS SDK's own
 * model objects and written back. The field names, types, nesting and enum values come from the SDK's model
 * ({@code SdkPojo.sdkFields()}, the same metadata the SDK marshals with), so every field ECS documents is
 * accepted, and a misspelt key, a wrong type or an unknown enum value is a problem naming the field before any
 * AWS call.
 */
final class EcsFields {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private EcsFields() {
    }

    /**
     * Sets every field of {@code node} (a JSON object) on {@code builder} (an SDK model builder). Problems are
     * added to {@code problems}, each starting with {@code path} and the field; fields with problems are left out.
     */
    static void apply(JsonNode node, SdkPojo builder, String path, List<String> problems) {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            problems.add(path + ": expected an object of ECS API fields, was " + kind(node));
            return;
        }
        Map<String, SdkField<?>> fields = byLocationName(builder);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String at = path + "." + e.getKey();
            SdkField<?> field = fields.get(e.getKey());
            if (field == null) {
                problems.add(at + ": not a field of " + describe(path) + hint(e.getKey(), fields.keySet())
                        + " (keys as in the ECS API reference)");
                continue;
            }
            Object value = convert(field, e.getValue(), at, problems);
            if (value != null) {
                field.set(builder, value);
            }
        }
    }

    /** The fields of {@code pojo} (a model object or builder) by their JSON name. */
    static Map<String, SdkField<?>> byLocationName(SdkPojo pojo) {
        Map<String, SdkField<?>> m = new LinkedHashMap<>();
        for (SdkField<?> f : pojo.sdkFields()) {
            m.put(f.locationName(), f);
        }
        return m;
    }

    private static Object convert(SdkField<?> field, JsonNode v, String at, List<String> problems) {
        if (v == null || v.isNull()) {
            return null;
        }
        MarshallingType<?> type = field.marshallingType();
        if (type == MarshallingType.STRING) {
            if (v.isValueNode() && !v.isBinary()) {
                return v.asText();
            }
            return problem(at, "a string", v, problems);
        }
        if (type == MarshallingType.INTEGER || type == MarshallingType.SHORT || type == MarshallingType.BYTE) {
            Long n = whole(v);
            if (n == null || n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
                return problem(at, "a whole number", v, problems);
            }
            return type == MarshallingType.INTEGER ? Integer.valueOf(n.intValue())
                    : type == MarshallingType.SHORT ? (Object) Short.valueOf(n.shortValue()) : Byte.valueOf(n.byteValue());
        }
        if (type == MarshallingType.LONG) {
            Long n = whole(v);
            return n != null ? n : problem(at, "a whole number", v, problems);
        }
        if (type == MarshallingType.DOUBLE || type == MarshallingType.FLOAT || type == MarshallingType.BIG_DECIMAL) {
            if (!v.isNumber()) {
                return problem(at, "a number", v, problems);
            }
            return type == MarshallingType.DOUBLE ? Double.valueOf(v.doubleValue())
                    : type == MarshallingType.FLOAT ? (Object) Float.valueOf(v.floatValue()) : v.decimalValue();
        }
        if (type == MarshallingType.BOOLEAN) {
            if (v.isBoolean()) {
                return v.booleanValue();
            }
            if (v.isTextual() && ("true".equals(v.asText()) || "false".equals(v.asText()))) {
                return Boolean.valueOf(v.asText());
            }
            return problem(at, "true or false", v, problems);
        }
        if (type == MarshallingType.INSTANT) {
            try {
                return v.isNumber() ? Instant.ofEpochMilli((long) (v.doubleValue() * 1000)) : Instant.parse(v.asText());
            } catch (DateTimeParseException e) {
                return problem(at, "a time (ISO-8601 or epoch seconds)", v, problems);
            }
        }
        if (type == MarshallingType.SDK_BYTES) {
            try {
                return SdkBytes.fromByteArray(Base64.getDecoder().decode(v.asText()));
            } catch (IllegalArgumentException e) {
                return problem(at, "base64 text", v, problems);
            }
        }
        if (type == MarshallingType.SDK_POJO) {
            if (!v.isObject()) {
                return problem(at, "an object", v, problems);
            }
            SdkPojo nested = field.constructor().get();
            int before = problems.size();
            apply(v, nested, at, problems);
            Object built = ((SdkBuilder<?, ?>) nested).build();
            checkEnums(built, at, problems); // fields with problems were left out: no problem is told twice
            return problems.size() == before ? built : null;
        }
        if (type == MarshallingType.LIST) {
            if (!v.isArray()) {
                return problem(at, "a list", v, problems);
            }
            SdkField<?> member = field.getRequiredTrait(ListTrait.class).memberFieldInfo();
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                Object item = convert(member, v.get(i), at + "[" + i + "]", problems);
                if (item != null) {
                    out.add(item);
                }
            }
            return out;
        }
        if (type == MarshallingType.MAP) {
            if (!v.isObject()) {
                return problem(at, "an object", v, problems);
            }
            SdkField<?> value = field.getRequiredTrait(MapTrait.class).valueFieldInfo();
            Map<String, Object> out = new LinkedHashMap<>();
            v.fields().forEachRemaining(e -> {
                Object item = convert(value, e.getValue(), at + "." + e.getKey(), problems);
                if (item != null) {
                    out.put(e.getKey(), item);
                }
            });
            return out;
        }
        problems.add(at + ": this kind of ECS field (" + type + ") cannot be given here");
        return null;
    }

    private static Long whole(JsonNode v) {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        if (v.isTextual()) {
            try {
                return Long.parseLong(v.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static Object problem(String at, String expected, JsonNode v, List<String> problems) {
        problems.add(at + ": expected " + expected + ", was " + kind(v) + (v.isValueNode() ? " " + v : ""));
        return null;
    }

    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT, POJO -> "an object";
            case BOOLEAN -> "a boolean";
            case NUMBER -> "a number";
            case STRING -> "a string";
            default -> v.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static String describe(String path) {
        int dot = path.lastIndexOf('.');
        String last = dot < 0 ? path : path.substring(dot + 1);
        return "'" + last.replaceAll("\\[\\d+]$", "") + "'";
    }

    /**
     * Checks the enum-valued string fields of a built model object ({@code condition}, {@code protocol} ...)
     * against the values the SDK knows; a value ECS added after this SDK version would be refused here too, which
     * is why the message names the SDK's values.
     */
    static void checkEnums(Object model, String path, List<String> problems) {
        if (!(model instanceof SdkPojo pojo)) {
            return;
        }
        for (SdkField<?> f : pojo.sdkFields()) {
            Object raw = f.getValueOrDefault(model);
            if (raw == null || raw instanceof SdkAutoConstructList<?>) {
                continue;
            }
            String name = f.memberName();
            if (f.marshallingType() == MarshallingType.STRING && has(model, name + "AsString")) {
                Object e = call(model, name);
                if (e instanceof Enum<?> en && "UNKNOWN_TO_SDK_VERSION".equals(en.name())) {
                    problems.add(path + "." + f.locationName() + ": '" + raw + "' is not one of " + known(en));
                }
            } else if (f.marshallingType() == MarshallingType.LIST && has(model, name + "AsStrings")) {
                Object list = call(model, name);
                List<?> values = raw instanceof List<?> l ? l : List.of();
                if (list instanceof List<?> enums) {
                    for (int i = 0; i < enums.size(); i++) {
                        if (enums.get(i) instanceof Enum<?> en && "UNKNOWN_TO_SDK_VERSION".equals(en.name())) {
                            problems.add(path + "." + f.locationName() + "[" + i + "]: '" + values.get(i)
                                    + "' is not one of " + known(en));
                        }
                    }
                }
            }
        }
    }

    private static boolean has(Object model, String method) {
        try {
            model.getClass().getMethod(method);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static Object call(Object model, String method) {
        try {
            return model.getClass().getMethod(method).invoke(model);
        } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
            return null;
        }
    }

    private static String known(Enum<?> e) {
        TreeSet<String> names = new TreeSet<>();
        for (Object c : e.getDeclaringClass().getEnumConstants()) {
            if (!"UNKNOWN_TO_SDK_VERSION".equals(((Enum<?>) c).name())) {
                names.add(c.toString());
            }
        }
        return String.join(", ", names);
    }

    /**
     * The JSON form of an SDK model object: its set fields under their ECS API names. Unset lists and maps (the
     * SDK's auto-constructed empty ones) are left out; enum fields keep their wire value.
     */
    static ObjectNode toJson(SdkPojo pojo) {
        ObjectNode out = NODES.objectNode();
        for (SdkField<?> f : pojo.sdkFields()) {
            JsonNode n = value(f.getValueOrDefault(pojo));
            if (n != null) {
                out.set(f.locationName(), n);
            }
        }
        return out;
    }

    private static JsonNode value(Object v) {
        if (v == null || v instanceof SdkAutoConstructList<?> || v instanceof SdkAutoConstructMap<?, ?>) {
            return null;
        }
        if (v instanceof SdkPojo p) {
            return toJson(p);
        }
        if (v instanceof Collection<?> c) {
            ArrayNode a = NODES.arrayNode();
            for (Object o : c) {
                JsonNode n = value(o);
                a.add(n == null ? NODES.nullNode() : n);
            }
            return a;
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, x) -> {
                JsonNode n = value(x);
                if (n != null) {
                    o.set(String.valueOf(k), n);
                }
            });
            return o;
        }
        if (v instanceof String s) {
            return NODES.textNode(s);
        }
        if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return NODES.numberNode(((Number) v).intValue());
        }
        if (v instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (v instanceof BigDecimal d) {
            return NODES.numberNode(d);
        }
        if (v instanceof Number n) {
            return NODES.numberNode(n.doubleValue());
        }
        if (v instanceof Instant i) {
            return NODES.numberNode(i.toEpochMilli() / 1000.0);
        }
        if (v instanceof SdkBytes b) {
            return NODES.textNode(Base64.getEncoder().encodeToString(b.asByteArray()));
        }
        return NODES.textNode(String.valueOf(v));
    }

    /** ", did you mean X?" for the known name closest to {@code key}, or nothing when none is close. */
    static String hint(String key, Collection<String> known) {
        List<String> close = io.flowport.core.spi.Names.closest(key, known);
        return close.isEmpty() ? "" : "; did you mean " + close.get(0) + "?";
    }

    /** A copy of {@code node} with the keys of every object in alphabetical order (for stable hashes). */
    static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = NODES.objectNode();
            new TreeSet<>(iterable(node.fieldNames())).forEach(k -> out.set(k, sorted(node.get(k))));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = NODES.arrayNode();
            node.forEach(n -> out.add(sorted(n)));
            return out;
        }
        return node;
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    /** A plain Java map of a JSON object (what the public getters hand out). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> toMap(ObjectNode node) {
        return node == null ? Map.of() : JSON.convertValue(node, LinkedHashMap.class);
    }

    /** A JSON object of plain Java values (maps, lists, strings, numbers, booleans). */
    static ObjectNode toNode(Map<String, ?> values) {
        return values == null ? NODES.objectNode() : JSON.valueToTree(values);
    }
}
