package io.flowport.env.aci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Secret references: where a secret's value is read in the calling process when a run is launched.
 * {@code env:NAME} reads the variable {@code NAME}; {@code file:/absolute/path} reads the file (one trailing line
 * break removed, as secret files mounted by Kubernetes or Docker end with one). Only references are serialized;
 * values never leave this class except into a container group's secure environment variables or registry
 * credentials.
 */
final class SecretReferences {

    private SecretReferences() {
    }

    /** What is wrong with {@code reference} for {@code field}, or null when it is valid and resolvable here. */
    static String problem(String field, String reference, Map<String, String> environment) {
        if (reference == null || reference.isBlank()) {
            return field + ": missing secret reference; use env:VARIABLE or file:/absolute/path";
        }
        if (reference.startsWith("env:")) {
            String name = reference.substring(4);
            if (name.isBlank()) {
                return field + ": '" + reference + "' names no variable; use env:VARIABLE";
            }
            String value = environment.get(name);
            if (value == null || value.isEmpty()) {
                return field + ": the variable " + name + " (from " + reference + ") is not set in this process";
            }
            return null;
        }
        if (reference.startsWith("file:")) {
            Path p = Path.of(reference.substring(5));
            if (!p.isAbsolute()) {
                return field + ": '" + reference + "' is not an absolute path; use file:/absolute/path";
            }
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                return field + ": the file " + p + " (from " + reference + ") does not exist or is not readable";
            }
            return null;
        }
        // not repeated back: a value here may be the secret itself, written where its reference belongs
        return field + ": not a secret reference (value not shown); use env:VARIABLE or file:/absolute/path, "
                + "never the secret itself";
    }

    /**
     * The secret's value.
     *
     * @throws IllegalStateException if it cannot be read (validation checks this before any call)
     */
    static String resolve(String reference, Map<String, String> environment) {
        if (reference.startsWith("env:")) {
            String v = environment.get(reference.substring(4));
            if (v == null) {
                throw new IllegalStateException("secret reference " + reference + ": variable not set");
            }
            return v;
        }
        try {
            String v = Files.readString(Path.of(reference.substring(5)), StandardCharsets.UTF_8);
            return v.endsWith("\r\n") ? v.substring(0, v.length() - 2)
                    : v.endsWith("\n") ? v.substring(0, v.length() - 1) : v;
        } catch (IOException e) {
            throw new IllegalStateException("secret reference " + reference + ": " + e.getMessage(), e);
        }
    }
}
