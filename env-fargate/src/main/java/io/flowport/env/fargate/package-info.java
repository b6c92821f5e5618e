/**
 * Flow runs as AWS ECS tasks (Fargate and EC2): {@link io.flowport.env.fargate.FargateTaskEnvironment} (type
 * {@code fargate-task}), its {@link io.flowport.env.fargate.EcsBackend}, and CloudWatch logs
 * ({@link io.flowport.env.fargate.CloudWatchRunLogs}). Package-private classes hold validation, task
 * definition normalisation, the ECS API field pass-through ({@code EcsFields}) and AWS error mapping.
 */
package io.flowport.env.fargate;
