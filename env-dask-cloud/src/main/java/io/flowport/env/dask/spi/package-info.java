/**
 * Where the processes of a Dask cluster run: the {@link io.flowport.env.dask.spi.DaskPlatform} SPI that the
 * {@code local} (processes on this machine), {@code fargate}/{@code ecs} and users' own platforms implement, found
 * through {@link io.flowport.env.dask.spi.DaskPlatformProvider}s in {@code META-INF/services}.
 */
package io.flowport.env.dask.spi;
