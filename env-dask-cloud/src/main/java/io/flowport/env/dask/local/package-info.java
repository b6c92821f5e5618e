/** The {@code local} Dask platform: scheduler and workers as processes on this machine. */
package io.flowport.env.dask.local;
