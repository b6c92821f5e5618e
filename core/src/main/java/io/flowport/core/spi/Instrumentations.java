package io.flowport.core.spi;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Several instrumentations told in order; one that throws is logged and ignored. */
final class Instrumentations implements Instrumentation {

    private static final Logger LOG = LoggerFactory.getLogger(Instrumentations.class);

    private final List<Instrumentation> parts;

    Instrumentations(List<Instrumentation> parts) {
        this.parts = List.copyOf(parts);
    }

    static void guarded(Object who, String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("instrumentation {} failed on {}: {}", who.getClass().getName(), what, e.toString());
        }
    }

    static <T> T guarded(Object who, String what, Supplier<T> call, T otherwise) {
        try {
            T t = call.get();
            return t == null ? otherwise : t;
        } catch (RuntimeException e) {
            LOG.warn("instrumentation {} failed on {}: {}", who.getClass().getName(), what, e.toString());
            return otherwise;
        }
    }

    @Override
    public RunObservation runStarted(Flow flow, FlowRun run, String environment, Map<String, String> parent) {
        List<RunObservation> obs = new ArrayList<>(parts.size());
        for (Instrumentation p : parts) {
            obs.add(guarded(p, "a run's start", () -> p.runStarted(flow, run, environment, parent),
                    RunObservation.NONE));
        }
        return new Runs(obs);
    }

    @Override
    public CallObservation call(String backend, String operation) {
        List<CallObservation> calls = new ArrayList<>(parts.size());
        for (Instrumentation p : parts) {
            calls.add(guarded(p, "a call", () -> p.call(backend, operation), CallObservation.NONE));
        }
        return new Calls(calls);
    }

    @Override
    public void retried(String backend, String operation, Throwable cause) {
        for (Instrumentation p : parts) {
            guarded(p, "a retry", () -> p.retried(backend, operation, cause));
        }
    }

    private static final class Runs implements RunObservation {
        private final List<RunObservation> parts;
        private final FlowRunListener listener;

        Runs(List<RunObservation> parts) {
            this.parts = parts;
            FlowRunListener l = FlowRunListener.NONE;
            for (RunObservation p : parts) {
                l = l.andThen(guarded(p, "listener", p::listener, FlowRunListener.NONE));
            }
            this.listener = l;
        }

        @Override
        public FlowRunListener listener() {
            return listener;
        }

        @Override
        public CallObservation call(String backend, String operation) {
            List<CallObservation> calls = new ArrayList<>(parts.size());
            for (RunObservation p : parts) {
                calls.add(guarded(p, "a call", () -> p.call(backend, operation), CallObservation.NONE));
            }
            return new Calls(calls);
        }

        @Override
        public Map<String, String> traceContext() {
            Map<String, String> all = new LinkedHashMap<>();
            for (RunObservation p : parts) {
                // the first tracer's context wins: a run has one parent
                guarded(p, "the trace context", p::traceContext, Map.<String, String>of()).forEach(all::putIfAbsent);
            }
            return all;
        }

        @Override
        public void finished(FlowRunResult result) {
            for (RunObservation p : parts) {
                guarded(p, "a run's end", () -> p.finished(result));
            }
        }
    }

    private static final class Calls implements CallObservation {
        private final List<CallObservation> parts;

        Calls(List<CallObservation> parts) {
            this.parts = parts;
        }

        @Override
        public void succeeded() {
            for (CallObservation p : parts) {
                guarded(p, "a call's end", p::succeeded);
            }
        }

        @Override
        public void failed(Throwable error) {
            for (CallObservation p : parts) {
                guarded(p, "a call's end", () -> p.failed(error));
            }
        }
    }
}
