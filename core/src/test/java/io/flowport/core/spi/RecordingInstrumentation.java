package io.flowport.core.spi;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.PhaseChange;
import io.flowport.core.TaskRun;
import io.flowport.core.TaskSpec;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Writes down everything an instrumentation is told, as lines, for tests. */
final class RecordingInstrumentation implements Instrumentation {

    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public RunObservation runStarted(Flow flow, FlowRun run, String environment, Map<String, String> parent) {
        events.add("start " + flow.name() + " on " + environment + " parent=" + parent);
        return new RunObservation() {
            @Override
            public FlowRunListener listener() {
                return new FlowRunListener() {
                    @Override
                    public void taskFinished(FlowRun r, TaskSpec task, TaskRun outcome) {
                        events.add("task " + task.name() + " " + outcome.state().type().name() + " x" + outcome.attempts());
                    }

                    @Override
                    public void runPhaseChanged(FlowRun r, PhaseChange change) {
                        events.add("phase " + change.phase());
                    }
                };
            }

            @Override
            public CallObservation call(String backend, String operation) {
                return recorder("run call " + backend + " " + operation);
            }

            @Override
            public Map<String, String> traceContext() {
                return Map.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            }

            @Override
            public void finished(FlowRunResult result) {
                events.add("end " + result.state().type().name());
            }
        };
    }

    @Override
    public CallObservation call(String backend, String operation) {
        return recorder("call " + backend + " " + operation);
    }

    @Override
    public void retried(String backend, String operation, Throwable cause) {
        events.add("retry " + backend + " " + operation + " throttled="
                + (cause instanceof io.flowport.core.TransientException t && t.throttled()));
    }

    private CallObservation recorder(String what) {
        return new CallObservation() {
            @Override
            public void succeeded() {
                events.add(what + " ok");
            }

            @Override
            public void failed(Throwable error) {
                events.add(what + " failed " + error.getClass().getSimpleName());
            }
        };
    }

    long count(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).count();
    }
}
