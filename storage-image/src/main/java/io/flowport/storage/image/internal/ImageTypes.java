package io.flowport.storage.image.internal;

import io.flowport.core.Storage;
import io.flowport.core.spi.TypeProvider;
import io.flowport.storage.image.ImageStorage;

import java.util.Map;

/** Registers the {@code image} storage type. */
public final class ImageTypes implements TypeProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public ImageTypes() {
    }

    @Override
    public Map<String, Class<? extends Storage>> storages() {
        return Map.of("image", ImageStorage.class);
    }
}
