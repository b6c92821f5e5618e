package io.flowport.env.dask.local;

import io.flowport.env.dask.DaskExecutor;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskPlatformProvider;
import io.flowport.env.dask.spi.DaskScripts;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Makes {@link LocalDaskPlatform}s: {@code providerClass: local}. */
public final class LocalDaskPlatformProvider implements DaskPlatformProvider {

    /** Found by {@link java.util.ServiceLoader}. */
    public LocalDaskPlatformProvider() {
    }

    @Override
    public Set<String> names() {
        return Set.of("local");
    }

    @Override
    public DaskPlatform create(String name, Map<String, Object> settings, io.flowport.env.dask.DaskSecurity security) {
        Object py = settings.get("pythonExecutable");
        return new LocalDaskPlatform(py instanceof String s ? s : DaskExecutor.DEFAULT_PYTHON,
                DaskScripts.path(DaskScripts.LAUNCHER));
    }

    @Override
    public Set<String> knownSettings() {
        return Set.of("pythonExecutable");
    }

    @Override
    public List<String> validate(Map<String, Object> settings) {
        Object py = settings.get("pythonExecutable");
        if (py != null && (!(py instanceof String s) || s.isBlank())) {
            return List.of("pythonExecutable must be the path of a Python interpreter that has Dask's distributed"
                    + " package, was " + py);
        }
        return List.of();
    }
}
