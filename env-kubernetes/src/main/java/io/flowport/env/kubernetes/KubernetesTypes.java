package io.flowport.env.kubernetes;

import io.flowport.core.Environment;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;

/** Registers {@code kubernetes-job} ({@link KubernetesJobEnvironment}). */
public final class KubernetesTypes implements TypeProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public KubernetesTypes() {
    }

    @Override
    public Map<String, Class<? extends Environment>> environments() {
        return Map.of("kubernetes-job", KubernetesJobEnvironment.class);
    }
}
