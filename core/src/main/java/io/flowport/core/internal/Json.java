package io.flowport.core.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The Jackson mappers Flowport uses for JSON and YAML, configured once. Not public API. */
public final class Json {

    private static final ObjectMapper JSON = configure(JsonMapper.builder().build());
    /**
     * Writes without a "---" line and without quotes where YAML needs none, but quotes strings that would read
     * back as numbers or booleans (factory settings: the generator writes the document start as it is created).
     */
    private static final ObjectMapper YAML = configure(YAMLMapper.builder(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .build()).build());

    private Json() {
    }

    private static ObjectMapper configure(ObjectMapper m) {
        m.registerModule(new JavaTimeModule());
        m.configure(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS, false);
        m.configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false);
        m.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        m.setSerializationInclusion(JsonInclude.Include.NON_NULL);
        // executors of provider modules (e.g. "dask"), so that environments holding them read back
        for (io.flowport.core.spi.TypeProvider p : java.util.ServiceLoader.load(io.flowport.core.spi.TypeProvider.class,
                Json.class.getClassLoader())) {
            p.executors().forEach((name, type) -> m.registerSubtypes(
                    new com.fasterxml.jackson.databind.jsontype.NamedType(type, name)));
        }
        return m;
    }

    /** The JSON mapper. */
    public static ObjectMapper mapper() {
        return JSON;
    }

    /** The YAML mapper. */
    public static ObjectMapper yaml() {
        return YAML;
    }

    /**
     * Converts a value (a string, a number, a map from JSON) to {@code type}.
     *
     * @throws IllegalArgumentException if it does not convert
     */
    public static <T> T convert(Object value, Class<T> type) {
        if (value == null || type.isInstance(value)) {
            return type.cast(value);
        }
        return JSON.convertValue(value, type);
    }

    /** A short description of a value for error messages. */
    public static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        String s = value instanceof String ? "'" + value + "'" : String.valueOf(value);
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
