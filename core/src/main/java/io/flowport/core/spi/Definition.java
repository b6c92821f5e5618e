package io.flowport.core.spi;

import java.util.Objects;

/**
 * A prepared infrastructure definition (an ECS task definition revision, a Job template).
 *
 * @param id          the platform's identifier (an ARN, a name)
 * @param contentHash the hash of the normalised definition, used to decide reuse
 * @param created     whether {@link Backend#prepare} created it (false: an equal one was reused)
 */
public record Definition(String id, String contentHash, boolean created) {
    /** Validates the definition. */
    public Definition {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(contentHash, "contentHash");
    }
}
