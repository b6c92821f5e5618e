/**
 * The service-provider interfaces that provider modules implement: serialized types
 * ({@link io.flowport.core.spi.TypeProvider}) and the shared backend lifecycle.
 */
package io.flowport.core.spi;
