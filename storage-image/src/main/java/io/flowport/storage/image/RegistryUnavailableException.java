package io.flowport.storage.image;

import io.flowport.core.TransientException;

/**
 * A registry could not be reached (connection refused, unknown host, timeout) or answered with a server error.
 * May go away on its own, hence a {@link TransientException}. The message names the registry and what to check.
 */
public class RegistryUnavailableException extends TransientException {
    private static final long serialVersionUID = 1L;

    private final String registry;

    /** Creates an exception about {@code registry}. */
    public RegistryUnavailableException(String registry, String message, Throwable cause) {
        super(message, cause);
        this.registry = registry;
    }

    /** The registry (host and optional port) that could not be reached. */
    public String registry() {
        return registry;
    }
}
