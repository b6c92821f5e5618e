/**
 * Flow runs as Azure Container Instances container groups:
 * {@link io.flowport.env.aci.ContainerInstanceEnvironment} (type {@code aci-container-group}) and its
 * {@link io.flowport.env.aci.ContainerInstanceBackend}, on the Azure SDK ({@code azure-resourcemanager-containerinstance},
 * {@code azure-identity}, the JDK HTTP client). Package-private classes hold validation, naming, ARM error mapping,
 * request pacing and the mapping of container states.
 */
package io.flowport.env.aci;
