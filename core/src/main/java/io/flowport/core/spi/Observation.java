package io.flowport.core.spi;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** How a backend reports the status of its runs: {@link Polling} in batches, or {@link Watching}. */
public sealed interface Observation permits Observation.Polling, Observation.Watching {

    /** Status read by batched calls (ECS {@code DescribeTasks} takes up to 100 tasks). */
    non-sealed interface Polling extends Observation {
        /** The most launches one {@link #describe} call may take. */
        int maxBatch();

        /**
         * The platform's documented sustained rate for the status call, in calls per second (ECS
         * {@code DescribeTasks}: 20). The lifecycle never reads status faster, whatever the launch rate;
         * {@link BackendLifecycle.Settings#statusReadsPerSecond()} overrides it. Default 10.
         */
        default double readsPerSecond() {
            return 10;
        }

        /**
         * The status of each launch, by {@link io.flowport.core.spi.Launch#id()}. A launch the platform does not
         * know (any more) is left out. Blocking.
         */
        Map<String, RunStatus> describe(List<Launch> launches);
    }

    /** Status pushed by the platform (a Kubernetes watch). */
    non-sealed interface Watching extends Observation {
        /**
         * Calls {@code listener} with every status change of {@code launch} until the returned handle is closed,
         * reconnecting by itself when the platform closes the stream.
         */
        AutoCloseable watch(Launch launch, Consumer<RunStatus> listener);
    }
}
