/**
 * Flow runs as Kubernetes Jobs: {@link io.flowport.env.kubernetes.KubernetesJobEnvironment} (type
 * {@code kubernetes-job}), built on the fabric8 client with the JDK HTTP client. Its runs are followed by fabric8
 * informers and its pod logs read with fabric8's log API. Everything package-private here (the backend, the
 * informers, the log buffers, the Job template and its checks) is an implementation detail.
 */
package io.flowport.env.kubernetes;
