package io.flowport.core.spi;

import java.util.Optional;

/**
 * A pluggable source of registry credentials, for registries whose passwords are short-lived tokens fetched
 * from a cloud API (Amazon ECR, Google Artifact Registry, Azure Container Registry ...).
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.flowport.core.spi.RegistryCredentialSource} and give it a public
 * no-argument constructor. A provider module (for example {@code flowport-env-fargate} for ECR) contributes one
 * so that adding the module is all a user does; the SPI lives in core so that providers need not depend on
 * {@code flowport-storage-image}. Sources can also be passed to {@code ImageStorage.Builder#credentialSource};
 * those are asked first.
 *
 * <p>For each registry an image build talks to (the target and, if it is in a registry, the base image),
 * {@code ImageStorage} asks, in order: explicit credentials, then every source whose {@link #supports(String)}
 * is true (highest {@link #priority()} first, then by {@link #id()}), then the Docker config file, then it goes
 * anonymous. The first credentials returned are used. Credentials are never serialized or logged.
 */
public interface RegistryCredentialSource {

    /** A unique, stable id for logs and error messages, e.g. {@code "ecr"}. Two sources with one id fail. */
    String id();

    /**
     * Whether this source can give credentials for {@code registry} (host and optional port, e.g.
     * {@code 123456789012.dkr.ecr.eu-west-1.amazonaws.com}). Must be cheap and must not block.
     */
    boolean supports(String registry);

    /**
     * Credentials for {@code registry}. Blocking (may call a cloud API). Called only when {@link #supports}
     * was true, once per build and registry.
     *
     * @return the credentials, or empty to let the next source answer
     * @throws io.flowport.core.FlowportException if the source applies but cannot get credentials (the image
     *                                            build then fails with this message, naming the source)
     */
    Optional<RegistryCredentials> credentials(String registry);

    /** Order among sources that support the same registry: higher first. Default 0. */
    default int priority() {
        return 0;
    }
}
