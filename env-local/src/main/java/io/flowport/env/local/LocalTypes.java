package io.flowport.env.local;

import io.flowport.core.Environment;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;

/** Registers {@code local} and {@code local-process}. */
public final class LocalTypes implements TypeProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public LocalTypes() {
    }

    @Override
    public Map<String, Class<? extends Environment>> environments() {
        return Map.of("local", LocalEnvironment.class, "local-process", LocalProcessEnvironment.class);
    }
}
