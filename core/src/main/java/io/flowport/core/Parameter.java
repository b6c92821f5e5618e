package io.flowport.core;

import java.util.Objects;

/**
 * A typed flow parameter. A parameter with a default is optional; one without is required.
 * Values given as strings or JSON are converted to {@code type} (e.g. {@code "5"} to {@code Integer}).
 *
 * @param name         the parameter's name, unique in its flow
 * @param type         the Java type values are converted to
 * @param defaultValue the value used when none is given, or {@code null}
 * @param required     whether a run must give a value
 * @param description  a short text for people (may be empty)
 * @param <T>          the value type
 */
public record Parameter<T>(String name, Class<T> type, T defaultValue, boolean required, String description) {

    /** Validates the parameter: a non-blank name; a required parameter has no default. */
    public Parameter {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        description = description == null ? "" : description;
        if (name.isBlank()) {
            throw new ConfigurationException("parameter name must not be blank");
        }
        if (required && defaultValue != null) {
            throw new ConfigurationException("parameter '" + name + "' is required and cannot have a default value");
        }
    }

    /** A required parameter. */
    public static <T> Parameter<T> required(String name, Class<T> type) {
        return new Parameter<>(name, type, null, true, "");
    }

    /** An optional parameter with a default value. */
    public static <T> Parameter<T> optional(String name, Class<T> type, T defaultValue) {
        return new Parameter<>(name, type, defaultValue, false, "");
    }
}
