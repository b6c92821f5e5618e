package io.flowport.env.dask;

import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.util.List;

/** The test flows a runner inside a container (the in-cluster driver) finds by name. */
public final class DaskTestFlows implements FlowProvider {

    /** Found by {@link java.util.ServiceLoader}. */
    public DaskTestFlows() {
    }

    @Override
    public List<Flow> flows() {
        return List.of(LocalClusterIT.squares(6));
    }
}
