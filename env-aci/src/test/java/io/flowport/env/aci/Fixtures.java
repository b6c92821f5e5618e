package io.flowport.env.aci;

import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.BackendLifecycle;

import java.time.Duration;
import java.util.Map;

/** Settings shared by the tests: a valid environment, and one pointed at a {@link LocalArmServer}. */
final class Fixtures {

    static final String SECRET = "s3cr3t-Pa55w0rd-that-must-never-leak";
    static final String REGISTRY_SECRET = "registry-token-that-must-never-leak";
    static final String IDENTITY = "/subscriptions/" + LocalArmServer.SUBSCRIPTION
            + "/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/flows";

    private Fixtures() {
    }

    /** A valid environment using the server, with fast polls and short deadlines. */
    static ContainerInstanceEnvironment.Builder env(LocalArmServer server) {
        return base()
                .resourceManagerEndpoint(server.endpoint())
                .readsPerSecond(1000)
                .lroPollInterval(Duration.ofMillis(50))
                .deleteTimeout(Duration.ofSeconds(20))
                .requestTimeout(Duration.ofSeconds(5))
                .lifecycleSettings(fastLifecycle());
    }

    /** A valid environment with no endpoint (for validation and serialization tests). */
    static ContainerInstanceEnvironment.Builder base() {
        return ContainerInstanceEnvironment.builder()
                .systemEnvironment(Map.of("DB_PASSWORD", SECRET, "REGISTRY_TOKEN", REGISTRY_SECRET))
                .subscriptionId(LocalArmServer.SUBSCRIPTION)
                .resourceGroup(LocalArmServer.RESOURCE_GROUP)
                .location(LocalArmServer.LOCATION)
                .image("flowsregistry.azurecr.io/flows:1");
    }

    /** Fast polls and short deadlines for tests. */
    static BackendLifecycle.Settings fastLifecycle() {
        return BackendLifecycle.Settings.defaults()
                .withPollIntervals(Duration.ofMillis(20), Duration.ofMillis(200))
                .withStartTimeout(Duration.ofSeconds(30))
                .withStopTimeout(Duration.ofSeconds(10))
                .withLaunchRetries(Duration.ofSeconds(15), new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)));
    }
}
