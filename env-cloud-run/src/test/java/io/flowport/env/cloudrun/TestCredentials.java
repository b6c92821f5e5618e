package io.flowport.env.cloudrun;

import com.google.auth.Credentials;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * Explicit credentials for tests: a fixed bearer token the test server sees in every call. Its {@code toString}
 * shows the token, so that any place that prints the credentials object would leak it visibly.
 */
final class TestCredentials extends Credentials {

    private static final long serialVersionUID = 1L;
    private final String token;

    TestCredentials(String token) {
        this.token = token;
    }

    @Override
    public String getAuthenticationType() {
        return "test";
    }

    @Override
    public Map<String, List<String>> getRequestMetadata(URI uri) {
        return Map.of("authorization", List.of("Bearer " + token));
    }

    @Override
    public boolean hasRequestMetadata() {
        return true;
    }

    @Override
    public boolean hasRequestMetadataOnly() {
        return true;
    }

    @Override
    public void refresh() {
    }

    @Override
    public String toString() {
        return "TestCredentials[" + token + "]";
    }
}
