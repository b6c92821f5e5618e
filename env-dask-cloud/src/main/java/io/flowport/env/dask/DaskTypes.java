package io.flowport.env.dask;

import io.flowport.core.Environment;
import io.flowport.core.Executor;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;

/** Registers {@code dask-cloud-provider}, {@code dask-kubernetes} and the {@code dask} executor. */
public final class DaskTypes implements TypeProvider {

    /** Found by {@link java.util.ServiceLoader}. */
    public DaskTypes() {
    }

    @Override
    public Map<String, Class<? extends Environment>> environments() {
        return Map.of("dask-cloud-provider", DaskCloudProviderEnvironment.class,
                "dask-kubernetes", io.flowport.env.dask.kubernetes.DaskKubernetesEnvironment.class);
    }

    @Override
    public Map<String, Class<? extends Executor>> executors() {
        return Map.of("dask", DaskExecutor.class);
    }
}
