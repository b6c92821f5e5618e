package io.flowport.storage.image;

import io.flowport.core.spi.RegistryCredentials;
import io.flowport.core.spi.RegistryCredentialSource;

import java.util.Optional;

/** A credential source found through META-INF/services in the tests: answers for {@code *.creds.test}. */
public final class TestCredentialSource implements RegistryCredentialSource {

    /** Used by ServiceLoader. */
    public TestCredentialSource() {
    }

    @Override
    public String id() {
        return "test-tokens";
    }

    @Override
    public boolean supports(String registry) {
        return registry.endsWith(".creds.test");
    }

    @Override
    public Optional<RegistryCredentials> credentials(String registry) {
        return Optional.of(new RegistryCredentials("token-user", "token-for-" + registry));
    }
}
