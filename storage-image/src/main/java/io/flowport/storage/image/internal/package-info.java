/**
 * Not API: the image storage's own machinery (layer planning, credential chain, Jib event accounting, error
 * translation, the type registration). It may change or disappear in any release without notice; use
 * {@link io.flowport.storage.image.ImageStorage} instead. No public signature of the API shows a type of this
 * package (the build checks).
 */
package io.flowport.storage.image.internal;
