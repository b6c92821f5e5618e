/**
 * Flow runs as Google Cloud Run job executions: {@link io.flowport.env.cloudrun.CloudRunJobEnvironment} (type
 * {@code cloud-run-job}), its {@link io.flowport.env.cloudrun.CloudRunBackend} on the Cloud Run Admin API v2, and
 * the executions' logs in Cloud Logging ({@link io.flowport.env.cloudrun.CloudLoggingRunLogs}). Package-private
 * classes hold validation, the job's normalisation, the mapping of executions to states and of API errors.
 */
package io.flowport.env.cloudrun;
