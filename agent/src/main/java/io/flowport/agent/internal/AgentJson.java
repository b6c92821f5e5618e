package io.flowport.agent.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.flowport.core.ConfigurationException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** JSON and YAML for the agent: documents as trees, parameters as JSON, deep merges. Not public API. */
public final class AgentJson {

    private static final ObjectMapper JSON = JsonMapper.builder().addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS).build();
    private static final ObjectMapper YAML = YAMLMapper.builder().addModule(new JavaTimeModule()).build();

    private AgentJson() {
    }

    /** The JSON mapper. */
    public static ObjectMapper mapper() {
        return JSON;
    }

    /** One line of JSON. */
    public static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new ConfigurationException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
                    + e.getOriginalMessage());
        }
    }

    /**
     * A JSON object read from text.
     *
     * @throws ConfigurationException if it is not JSON, or not an object
     */
    public static ObjectNode object(String json, String what) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigurationException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(n instanceof ObjectNode o)) {
            throw new ConfigurationException(what + " must be a JSON object");
        }
        return o;
    }

    /** The parameters of a run, from their JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parameters(String json) {
        try {
            return JSON.readValue(json, LinkedHashMap.class);
        } catch (JsonProcessingException e) {
            throw new ConfigurationException("stored parameters are not a JSON object: " + e.getOriginalMessage());
        }
    }

    /**
     * A JSON or YAML document from a file ({@code .yaml}/{@code .yml} read as YAML), as an object.
     *
     * @throws ConfigurationException if it cannot be read or is not an object
     */
    public static ObjectNode readFile(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read " + file + ": " + e.getMessage());
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
        JsonNode n;
        try {
            n = (yaml ? YAML : JSON).readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigurationException(file + " is not valid " + (yaml ? "YAML" : "JSON") + ": "
                    + e.getOriginalMessage() + (e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr()));
        }
        if (!(n instanceof ObjectNode o)) {
            throw new ConfigurationException(file + " must hold an object (an environment document with a 'type')");
        }
        return o;
    }

    /**
     * Merges {@code over} into a copy of {@code base}: objects merge key by key, anything else in {@code over}
     * (values, arrays, nulls) replaces what {@code base} has.
     */
    public static ObjectNode merge(ObjectNode base, ObjectNode over) {
        ObjectNode out = base.deepCopy();
        mergeInto(out, over);
        return out;
    }

    private static void mergeInto(ObjectNode target, ObjectNode over) {
        for (Iterator<Map.Entry<String, JsonNode>> it = over.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = target.get(e.getKey());
            if (existing instanceof ObjectNode t && e.getValue() instanceof ObjectNode o) {
                mergeInto(t, o);
            } else {
                target.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }
}
