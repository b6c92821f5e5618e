package io.flowport.storage.image.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A {@link LocalRegistry} for the tests of one class, as a JUnit extension: started before the class's tests and
 * stopped after them when {@code docker-registry} is installed; otherwise every test of the class is reported
 * <em>skipped</em>, each with the reason and how to install it (a condition on each test rather than on the
 * class or an assumption in {@code @BeforeAll}, which test reports count as zero tests).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RegistryExtension REGISTRY = RegistryExtension.plain();
 * }</pre>
 */
public final class RegistryExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback {

    private final String htpasswd;
    private Path directory;
    private LocalRegistry registry;

    private RegistryExtension(String htpasswd) {
        this.htpasswd = htpasswd;
    }

    /** A registry without authentication. */
    public static RegistryExtension plain() {
        return new RegistryExtension(null);
    }

    /** A registry that asks for basic authentication ({@code htpasswd}: lines {@code user:bcrypt-hash}). */
    public static RegistryExtension withAuthentication(String htpasswd) {
        return new RegistryExtension(htpasswd);
    }

    /**
     * The running registry (from the class's {@code @BeforeAll} on), or null when docker-registry is not installed,
     * in which case no test of the class runs.
     */
    public LocalRegistry registry() {
        return registry;
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String reason = LocalRegistry.unavailableReason();
        if (reason == null) {
            return ConditionEvaluationResult.enabled("docker-registry is at " + LocalRegistry.binary().orElseThrow());
        }
        // each test is skipped with the reason, so that reports count and explain them
        return context.getTestMethod().isPresent() ? ConditionEvaluationResult.disabled(reason)
                : ConditionEvaluationResult.enabled("its tests are skipped one by one: " + reason);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        if (LocalRegistry.unavailableReason() == null) {
            directory = Files.createTempDirectory("flowport-registry-");
            registry = LocalRegistry.start(directory, htpasswd);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (registry != null) {
            registry.close();
            registry = null;
        }
        if (directory != null) {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            directory = null;
        }
    }
}
