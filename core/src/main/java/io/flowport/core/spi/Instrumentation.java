package io.flowport.core.spi;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * Hooks through which metrics and traces see flow runs, without core depending on a metrics or tracing library:
 * {@code flowport-micrometer} and {@code flowport-opentelemetry} implement them. Every method defaults to doing
 * nothing and returning {@code NONE} objects.
 *
 * <p>Who calls what:
 * <ul>
 *   <li>{@link io.flowport.core.AbstractEnvironment#execute} (every environment) calls {@link #runStarted} before
 *       {@code onStart}, puts the observation's {@link RunObservation#listener() listener} on the run, and calls
 *       {@link RunObservation#finished} with the final result, after {@code onExit};</li>
 *   <li>{@link BackendLifecycle} reports every call of the {@link Backend} SPI — per run through
 *       {@link RunObservation#call}, not tied to a run (batched status reads, definitions) through {@link #call} —
 *       and each retry of a transient failure through {@link #retried}; it carries
 *       {@link RunObservation#traceContext()} into the unit as the runner's {@code FLOWPORT__TRACEPARENT} and
 *       {@code FLOWPORT__TRACESTATE} variables; runs submitted without an environment ({@code submit},
 *       {@code resume}) are observed by the lifecycle itself;</li>
 *   <li>the {@link io.flowport.core.Runner runner} inside a container or child process observes its run with the
 *       instrumentations found on its class path by {@link #discover} (each registered under
 *       {@code META-INF/services/io.flowport.core.spi.Instrumentation}), passing the caller's trace context as
 *       {@code parent}.</li>
 * </ul>
 * Implementations must be thread-safe and quick: they are called on the threads that run tasks and follow runs.
 * An implementation that throws is logged and ignored; it never changes a run.
 */
public interface Instrumentation {

    /** Observes nothing. */
    Instrumentation NONE = new Instrumentation() {
    };

    /**
     * A flow run starts.
     *
     * @param flow        the flow
     * @param run         the run
     * @param environment the environment's type ({@code local}, {@code fargate-task} ...)
     * @param parent      the W3C trace context the run continues ({@code traceparent}, {@code tracestate}): the
     *                    caller's, for a run inside a runner; empty otherwise
     * @return what observes the rest of the run
     */
    default RunObservation runStarted(Flow flow, FlowRun run, String environment, Map<String, String> parent) {
        return RunObservation.NONE;
    }

    /**
     * A call of a provider's API that belongs to no single run: a batched status read, a definition shared by the
     * runs of a flow.
     *
     * @param backend   the backend's {@link Backend#name() name}
     * @param operation the {@link Backend} method: {@code prepare}, {@code describe} ...
     */
    default CallObservation call(String backend, String operation) {
        return CallObservation.NONE;
    }

    /**
     * A call failed transiently and is tried again after a backoff.
     *
     * @param backend   the backend's name
     * @param operation the {@link Backend} method
     * @param cause     the failure (a {@link io.flowport.core.TransientException})
     */
    default void retried(String backend, String operation, Throwable cause) {
    }

    /** An instrumentation that tells each of {@code parts}, in order. */
    static Instrumentation of(List<? extends Instrumentation> parts) {
        List<Instrumentation> all = new ArrayList<>();
        for (Instrumentation p : parts) {
            if (Objects.requireNonNull(p, "instrumentation") != NONE) {
                all.add(p);
            }
        }
        return all.isEmpty() ? NONE : all.size() == 1 ? all.get(0) : new Instrumentations(all);
    }

    /** An instrumentation that tells each of {@code parts}, in order. */
    static Instrumentation of(Instrumentation... parts) {
        return of(List.of(parts));
    }

    /**
     * The instrumentations registered on {@code loader}'s class path under
     * {@code META-INF/services/io.flowport.core.spi.Instrumentation}, together; {@link #NONE} when there are none.
     * One that cannot be loaded is logged and left out.
     */
    static Instrumentation discover(ClassLoader loader) {
        Logger log = LoggerFactory.getLogger(Instrumentation.class);
        List<Instrumentation> found = new ArrayList<>();
        java.util.Iterator<Instrumentation> it = ServiceLoader.load(Instrumentation.class, loader).iterator();
        // bounded: a broken entry is skipped by the iterator, and the list of entries is finite
        for (int guard = 0; guard < 1000; guard++) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                Instrumentation i = it.next();
                found.add(i);
                log.debug("instrumentation {} from {}", i.getClass().getName(),
                        i.getClass().getProtectionDomain().getCodeSource());
            } catch (java.util.ServiceConfigurationError | LinkageError e) {
                log.warn("an instrumentation could not be loaded and is left out: {}", e.toString());
            }
        }
        return of(found);
    }
}
