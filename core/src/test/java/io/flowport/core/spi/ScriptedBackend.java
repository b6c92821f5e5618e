package io.flowport.core.spi;

import io.flowport.core.Flow;
import io.flowport.core.RunLogs;
import io.flowport.core.State;
import io.flowport.core.TransientException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for the tests of other modules (metrics, traces): each launched unit provisions for a moment, runs
 * for {@link #runFor}, then exits with {@link #exitCode}; launches can be throttled; the requests are kept. Its logs
 * are {@link #logLines}. Thread-safe.
 */
public final class ScriptedBackend implements Backend, Observation.Polling {

    private final String name;
    private final Map<String, Unit> units = new ConcurrentHashMap<>();
    private final Map<String, LaunchRequest> requests = new ConcurrentHashMap<>();
    private final AtomicInteger seq = new AtomicInteger();
    private final AtomicInteger throttle = new AtomicInteger();
    private volatile Duration runFor = Duration.ofMillis(150);
    private volatile int exitCode;
    private volatile List<String> logLines = List.of();

    private record Unit(Launch launch, Instant launched, Duration runFor, int exitCode) {
    }

    /** A backend named {@code name}. */
    public ScriptedBackend(String name) {
        this.name = name;
    }

    /** How long each unit launched from now on runs. */
    public ScriptedBackend runFor(Duration value) {
        runFor = value;
        return this;
    }

    /** The exit code of units launched from now on. */
    public ScriptedBackend exitCode(int value) {
        exitCode = value;
        return this;
    }

    /** The next {@code count} launch calls are throttled ({@link TransientException#throttled()}). */
    public ScriptedBackend throttleNextLaunches(int count) {
        throttle.set(count);
        return this;
    }

    /** The log lines of every unit. */
    public ScriptedBackend logLines(List<String> lines) {
        logLines = List.copyOf(lines);
        return this;
    }

    /** The last launch request of a flow run, or null. */
    public LaunchRequest request(String flowRunId) {
        return requests.get(flowRunId);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Definition prepare(Flow flow) {
        return new Definition("def-" + flow.name(), "1", false);
    }

    @Override
    public Launch launch(Definition definition, LaunchRequest request) {
        requests.put(request.flowRunId(), request);
        if (throttle.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw TransientException.throttled("TooManyRequests: rate exceeded", null);
        }
        String id = name + "-unit-" + seq.incrementAndGet();
        Launch l = new Launch(id, request.flowRunId(), request.labels(), Instant.now());
        units.put(id, new Unit(l, Instant.now(), runFor, exitCode));
        return l;
    }

    @Override
    public Observation observation() {
        return this;
    }

    @Override
    public int maxBatch() {
        return 100;
    }

    @Override
    public double readsPerSecond() {
        return 200;
    }

    @Override
    public Map<String, RunStatus> describe(List<Launch> launches) {
        Map<String, RunStatus> out = new HashMap<>();
        Instant now = Instant.now();
        for (Launch l : launches) {
            Unit u = units.get(l.id());
            if (u != null) {
                out.put(l.id(), status(u, now));
            }
        }
        return out;
    }

    private static RunStatus status(Unit u, Instant now) {
        Duration age = Duration.between(u.launched(), now);
        if (age.compareTo(Duration.ofMillis(20)) < 0) {
            return RunStatus.of(RunStatus.Phase.PROVISIONING, "PROVISIONING");
        }
        if (age.compareTo(u.runFor()) < 0) {
            return RunStatus.of(RunStatus.Phase.RUNNING, "RUNNING");
        }
        return RunStatus.finished(u.exitCode() == 0 ? State.success("exit code 0")
                : State.failed("exit code " + u.exitCode(), null), "exit " + u.exitCode());
    }

    @Override
    public void stop(Launch launch, String reason) {
        units.computeIfPresent(launch.id(), (k, u) -> new Unit(u.launch(), u.launched(), Duration.ZERO, 143));
    }

    @Override
    public RunLogs logs(Launch launch) {
        return RunLogs.of(name + ":" + launch.id(), logLines);
    }

    @Override
    public List<Found> find(Map<String, String> labels) {
        List<Found> out = new ArrayList<>();
        Instant now = Instant.now();
        for (Unit u : units.values()) {
            if (u.launch().labels().entrySet().containsAll(labels.entrySet())) {
                out.add(new Found(u.launch(), status(u, now), null, false));
            }
        }
        return out;
    }

    @Override
    public boolean supportsDelete() {
        return false;
    }
}
