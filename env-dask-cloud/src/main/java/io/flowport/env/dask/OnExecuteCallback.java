package io.flowport.env.dask;

import java.util.Map;

/**
 * Sizes the cluster of one flow run from its parameters: called in the calling process after {@code onStart} and
 * before the cluster exists, with the run's resolved parameters and a mutable copy of the provider settings. What
 * it changes (e.g. {@code settings.put("nWorkers", rows / 1_000_000 + 1)}) is validated, then used for this run
 * only. If it throws, or leaves invalid settings, the run fails with the reason and nothing is created. Never
 * serialized.
 */
@FunctionalInterface
public interface OnExecuteCallback {

    /**
     * Looks at the run's parameters and changes the provider settings of its cluster.
     *
     * @param parameters       the run's parameters, resolved against the flow (read-only)
     * @param providerSettings a copy of the provider settings to change
     * @throws Exception to fail the run before anything is created
     */
    void onExecute(Map<String, Object> parameters, Map<String, Object> providerSettings) throws Exception;
}
