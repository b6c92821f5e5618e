package io.flowport.core.spi;

import io.flowport.core.Environment;
import io.flowport.core.Executor;
import io.flowport.core.Storage;

import java.util.Map;

/**
 * Registers the serialized {@code type} names of a module's environments and storages. Implementations are
 * found with {@link java.util.ServiceLoader} ({@code META-INF/services/io.flowport.core.spi.TypeProvider}).
 * A type name claimed by two providers is an error.
 */
public interface TypeProvider {

    /** Environment classes by type name (e.g. {@code "local"}). */
    default Map<String, Class<? extends Environment>> environments() {
        return Map.of();
    }

    /**
     * Executor classes by type name (e.g. {@code "dask"}), serialized inside environments as
     * {@code "executor": {"type": ...}}. The built-in {@code sequential} and {@code parallel} are not listed.
     */
    default Map<String, Class<? extends Executor>> executors() {
        return Map.of();
    }

    /** Storage classes by type name (e.g. {@code "classpath"}). */
    default Map<String, Class<? extends Storage>> storages() {
        return Map.of();
    }
}
