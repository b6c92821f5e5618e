package io.flowport.env.aci;

import io.flowport.core.Environment;
import io.flowport.core.spi.TypeProvider;

import java.util.Map;

/** Registers the {@code aci-container-group} environment type. */
public final class AciTypes implements TypeProvider {

    /** The serialized type name of {@link ContainerInstanceEnvironment}. */
    public static final String TYPE = "aci-container-group";

    /** Used by {@link java.util.ServiceLoader}. */
    public AciTypes() {
    }

    @Override
    public Map<String, Class<? extends Environment>> environments() {
        return Map.of(TYPE, ContainerInstanceEnvironment.class);
    }
}
