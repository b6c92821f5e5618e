package io.flowport.env.aci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How ACI pulls images from one private registry: through a user-assigned managed identity (Azure Container
 * Registry), or with a username and a password taken from a <em>secret reference</em> ({@code env:NAME} or
 * {@code file:/path}) that is resolved in the calling process when a run is launched. Neither the password nor
 * anything resolved from the reference is ever serialized or logged; only the reference is.
 *
 * @param server         the registry host, e.g. {@code myregistry.azurecr.io} or {@code ghcr.io}
 * @param identity       resource id of a user-assigned identity with {@code AcrPull} on the registry (ACR only);
 *                       it must also be one of the environment's {@code userAssignedIdentities}
 * @param username       the registry user (with {@code passwordSecret})
 * @param passwordSecret where the password comes from: {@code env:VARIABLE} or {@code file:/absolute/path}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RegistryCredential(String server, String identity, String username, String passwordSecret) {

    @JsonCreator
    public RegistryCredential(@JsonProperty("server") String server,
                              @JsonProperty("identity") String identity,
                              @JsonProperty("username") String username,
                              @JsonProperty("passwordSecret") String passwordSecret) {
        this.server = server;
        this.identity = identity;
        this.username = username;
        this.passwordSecret = passwordSecret;
    }

    /** An Azure Container Registry pulled with a user-assigned managed identity. */
    public static RegistryCredential managedIdentity(String server, String identityResourceId) {
        return new RegistryCredential(server, identityResourceId, null, null);
    }

    /** A registry pulled with a username and a password from a secret reference ({@code env:…}, {@code file:…}). */
    public static RegistryCredential password(String server, String username, String passwordSecret) {
        return new RegistryCredential(server, null, username, passwordSecret);
    }

    /** Whether this credential uses a managed identity. */
    public boolean usesIdentity() {
        return identity != null;
    }
}
