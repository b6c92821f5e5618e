package io.flowport.env.fargate;

import io.flowport.core.Environment;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;

/** Registers the {@code fargate-task} environment type. */
public final class FargateTypes implements TypeProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public FargateTypes() {
    }

    @Override
    public Map<String, Class<? extends Environment>> environments() {
        return Map.of("fargate-task", FargateTaskEnvironment.class);
    }
}
