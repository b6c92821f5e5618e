package io.flowport.env.cloudrun;

import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.BackendLifecycle;

import java.time.Duration;
import java.util.Map;

/** Settings shared by the tests: a valid environment, pointed at a {@link LocalCloudRun} when one is given. */
final class Fixtures {

    /** The bearer token of the tests' explicit credentials: it must never show up in output or logs. */
    static final String TOKEN = "ya29.flowport-secret-test-token-4f1c";
    static final String IMAGE = "europe-docker.pkg.dev/flowport-test/flows/etl:1";

    private Fixtures() {
    }

    /** A valid environment talking to {@code server} with explicit test credentials, fast polls and no pacing. */
    static CloudRunJobEnvironment.Builder env(LocalCloudRun server) {
        return base()
                .transportChannelProvider(server.transport())
                .credentials(new TestCredentials(TOKEN))
                .operationPollInterval(Duration.ofMillis(10))
                .readsPerSecond(10_000)
                .launchesPerSecond(0)
                .lifecycleSettings(fastLifecycle());
    }

    /** A valid environment with no transport and no credentials (for validation and serialization tests). */
    static CloudRunJobEnvironment.Builder base() {
        return CloudRunJobEnvironment.builder()
                .project(LocalCloudRun.PROJECT)
                .region(LocalCloudRun.REGION)
                .image(IMAGE)
                .systemEnvironment(Map.of())
                .requestTimeout(Duration.ofSeconds(5))
                .env("APP_MODE", "test");
    }

    /** Fast polls and short deadlines for tests. */
    static BackendLifecycle.Settings fastLifecycle() {
        return BackendLifecycle.Settings.defaults()
                .withPollIntervals(Duration.ofMillis(20), Duration.ofMillis(200))
                .withStartTimeout(Duration.ofSeconds(30))
                .withStopTimeout(Duration.ofSeconds(10))
                .withLaunchRetries(Duration.ofSeconds(10), new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)));
    }
}
