package io.flowport.core.spi;

import io.flowport.core.ConfigurationException;

/**
 * A user name and password (or token) for a container registry. Never serialized; {@link #toString()} masks
 * the password.
 *
 * @param username the user name (for token-based registries, the name the registry expects, e.g. {@code AWS})
 * @param password the password or token
 */
public record RegistryCredentials(String username, String password) {

    /**
     * Creates credentials.
     *
     * @throws ConfigurationException if either part is null or blank
     */
    public RegistryCredentials {
        if (username == null || username.isBlank()) {
            throw new ConfigurationException("registry credentials: username is blank; give the registry's user name");
        }
        if (password == null || password.isEmpty()) {
            throw new ConfigurationException("registry credentials for '" + username
                    + "': password is empty; give the password or token");
        }
    }

    @Override
    public String toString() {
        return "RegistryCredentials[username=" + username + ", password=****]";
    }
}
