/** The {@code fargate} and {@code ecs} Dask platforms: scheduler and workers as ECS tasks (needs flowport-env-fargate). */
package io.flowport.env.dask.ecs;
