/**
 * Extension points of the image storage: {@link io.flowport.storage.image.spi.RegistryCredentialSource} lets
 * other modules supply registry credentials (e.g. ECR tokens) through {@link java.util.ServiceLoader}.
 */
package io.flowport.storage.image.spi;
