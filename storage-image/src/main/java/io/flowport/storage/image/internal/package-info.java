/**
 * Code of the image storage that is not public API (layer planning, credential chain, Jib event accounting,
 * error translation): it may change in any release.
 */
package io.flowport.storage.image.internal;
