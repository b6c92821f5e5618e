/**
 * Dask on Kubernetes: {@link io.flowport.env.dask.kubernetes.DaskKubernetesEnvironment} (type
 * {@code dask-kubernetes}, a Dask cluster of pods per flow run) and the {@code kubernetes} platform of the Dask
 * engine ({@link io.flowport.env.dask.kubernetes.KubernetesDaskPlatformProvider}, also usable as
 * {@code providerClass: kubernetes} of {@link io.flowport.env.dask.DaskCloudProviderEnvironment}).
 *
 * <p>fabric8 comes through the optional dependency on {@code flowport-env-kubernetes}. The environment and the
 * provider load without it (their signatures name no fabric8 type) and say which artifacts to add; every class
 * that uses fabric8 is reached only after that check.
 */
package io.flowport.env.dask.kubernetes;
