package io.flowport.env.dask.spi;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes {@link DaskPlatform}s of one kind. Found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.flowport.env.dask.spi.DaskPlatformProvider}). A provider must load even when its
 * platform's libraries are absent (the AWS SDK, fabric8): it names the artifact to add instead.
 */
public interface DaskPlatformProvider {

    /** The names users give as {@code providerClass} (e.g. {@code local}; {@code fargate} and {@code ecs}). */
    Set<String> names();

    /**
     * Empty when the platform can be used here; otherwise what to add, e.g.
     * {@code "add the dependency io.flowport:flowport-env-fargate"}.
     */
    default java.util.Optional<String> missing() {
        return java.util.Optional.empty();
    }

    /**
     * The platform for one cluster.
     *
     * @param name     the name the user gave (one of {@link #names()})
     * @param settings the provider settings, already validated by {@link #validate}
     * @param security TLS and whether processes may get public addresses
     */
    DaskPlatform create(String name, Map<String, Object> settings, io.flowport.env.dask.DaskSecurity security);

    /**
     * Where the driver (the process that holds the Dask client and runs the flow's Java tasks) runs when it must run
     * in the cluster's network, because the cluster has private addresses only and the caller is outside: an
     * environment that launches the runner entry point there (see
     * {@link io.flowport.core.spi.BackendEnvironment#submitRunner}). Empty (the default) when the caller can always
     * reach the cluster (local processes).
     */
    default java.util.Optional<io.flowport.core.spi.BackendEnvironment> driverEnvironment(String name,
            Map<String, Object> settings, io.flowport.env.dask.DaskSecurity security) {
        return java.util.Optional.empty();
    }

    /** The provider settings this platform knows beyond the common ones, for validation and "did you mean" hints. */
    Set<String> knownSettings();

    /**
     * Problems with the platform's own provider settings, each naming the setting (without a prefix) and what is
     * expected. Called before anything is created; makes no remote call.
     */
    default List<String> validate(Map<String, Object> settings) {
        return List.of();
    }
}
