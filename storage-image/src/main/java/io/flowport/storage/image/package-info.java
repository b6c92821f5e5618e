/**
 * {@link io.flowport.storage.image.ImageStorage}: builds and pushes a runnable container image of the flows'
 * code with Jib, without a Docker daemon, so that remote environments (Fargate, Kubernetes ...) can run the
 * flows through the runner entry point.
 */
package io.flowport.storage.image;
