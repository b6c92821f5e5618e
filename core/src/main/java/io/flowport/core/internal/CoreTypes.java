package io.flowport.core.internal;

import io.flowport.core.ClasspathStorage;
import io.flowport.core.LocalDirectoryStorage;
import io.flowport.core.Storage;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;

/** The storages that come with core. */
public final class CoreTypes implements TypeProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public CoreTypes() {
    }

    @Override
    public Map<String, Class<? extends Storage>> storages() {
        return Map.of("classpath", ClasspathStorage.class, "local-directory", LocalDirectoryStorage.class);
    }
}
