package io.flowport.env.cloudrun;

import io.flowport.core.Environment;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;

/** Registers the {@code cloud-run-job} environment type. */
public final class CloudRunTypes implements TypeProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public CloudRunTypes() {
    }

    @Override
    public Map<String, Class<? extends Environment>> environments() {
        return Map.of("cloud-run-job", CloudRunJobEnvironment.class);
    }
}
