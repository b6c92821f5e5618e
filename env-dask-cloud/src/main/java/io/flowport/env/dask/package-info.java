/**
 * The Dask engine: {@link io.flowport.env.dask.DaskCloudProviderEnvironment} (a Dask cluster per flow run) and
 * {@link io.flowport.env.dask.DaskExecutor} (a flow's command tasks on any Dask cluster).
 */
package io.flowport.env.dask;
