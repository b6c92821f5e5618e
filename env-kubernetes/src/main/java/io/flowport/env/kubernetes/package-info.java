/**
 * Flow runs as Kubernetes Jobs: {@link io.flowport.env.kubernetes.KubernetesJobEnvironment} (type
 * {@code kubernetes-job}) and its watching backend {@link io.flowport.env.kubernetes.KubernetesJobBackend}, built on
 * the fabric8 client with the JDK HTTP client. Package-private classes here are implementation details.
 */
package io.flowport.env.kubernetes;
