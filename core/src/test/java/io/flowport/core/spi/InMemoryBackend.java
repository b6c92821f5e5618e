package io.flowport.core.spi;

import io.flowport.core.Flow;
import io.flowport.core.RunLogs;
import io.flowport.core.State;
import io.flowport.core.TransientException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A polling backend held in memory, with fault injection: throttled launches, launches whose answer is lost
 * after the unit was created. Used to test the lifecycle and the contract kit itself.
 */
final class InMemoryBackend implements Backend, Observation.Polling {

    final Map<String, Unit> units = new ConcurrentHashMap<>();
    final Map<String, String> byToken = new ConcurrentHashMap<>();
    /** The last launch request of each flow run. */
    final Map<String, LaunchRequest> requests = new ConcurrentHashMap<>();
    final AtomicInteger launchCalls = new AtomicInteger();
    final AtomicInteger describeCalls = new AtomicInteger();
    final AtomicInteger prepareCalls = new AtomicInteger();
    final AtomicInteger maxDescribeBatch = new AtomicInteger();
    final AtomicInteger stopCalls = new AtomicInteger();
    final AtomicInteger fullLogReads = new AtomicInteger();
    /** When each describe call started (nanoTime). */
    final java.util.Queue<Long> describeTimes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Describe calls fail with this while set. */
    volatile RuntimeException describeFailure;
    /** Log reads of these units block this long. */
    final Map<String, java.time.Duration> slowLogs = new ConcurrentHashMap<>();
    volatile int throttleNextLaunches;
    volatile int loseNextLaunchAnswers;
    private final AtomicInteger seq = new AtomicInteger();

    static final class Unit {
        final Launch launch;
        volatile RunStatus status = RunStatus.of(RunStatus.Phase.PROVISIONING, "PROVISIONING");
        volatile Instant finishedAt;

        Unit(Launch launch) {
            this.launch = launch;
        }
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Definition prepare(Flow flow) {
        int n = prepareCalls.incrementAndGet();
        return new Definition("def-" + flow.name(), Integer.toHexString(flow.name().hashCode()), n == 1);
    }

    @Override
    public Launch launch(Definition definition, LaunchRequest request) {
        launchCalls.incrementAndGet();
        requests.put(request.flowRunId(), request);
        synchronized (this) {
            if (throttleNextLaunches > 0) {
                throttleNextLaunches--;
                throw TransientException.throttled("ThrottlingException: Rate exceeded", null);
            }
        }
        String id = byToken.computeIfAbsent(request.idempotencyToken(), t -> {
            String unitId = "unit-" + seq.incrementAndGet();
            units.put(unitId, new Unit(new Launch(unitId, request.flowRunId(), request.labels(), Instant.now())));
            return unitId;
        });
        synchronized (this) {
            if (loseNextLaunchAnswers > 0) {
                loseNextLaunchAnswers--;
                throw new TransientException("connection reset after the request was sent");
            }
        }
        return units.get(id).launch;
    }

    @Override
    public Observation observation() {
        return this;
    }

    @Override
    public int maxBatch() {
        return 100;
    }

    volatile double readsPerSecond = 100;

    @Override
    public double readsPerSecond() {
        return readsPerSecond;
    }

    @Override
    public Map<String, RunStatus> describe(List<Launch> launches) {
        describeCalls.incrementAndGet();
        describeTimes.add(System.nanoTime());
        RuntimeException failure = describeFailure;
        if (failure != null) {
            throw failure;
        }
        maxDescribeBatch.accumulateAndGet(launches.size(), Math::max);
        if (launches.size() > maxBatch()) {
            throw new IllegalArgumentException("batch of " + launches.size() + " exceeds " + maxBatch());
        }
        Map<String, RunStatus> out = new HashMap<>();
        for (Launch l : launches) {
            Unit u = units.get(l.id());
            if (u != null) {
                out.put(l.id(), u.status);
            }
        }
        return out;
    }

    @Override
    public void stop(Launch launch, String reason) {
        stopCalls.incrementAndGet();
        Unit u = units.get(launch.id());
        if (u != null && !u.status.isFinished()) {
            finish(u, RunStatus.finished(State.of(io.flowport.core.StateType.CANCELLED, "stopped: " + reason),
                    "stopped: " + reason));
        }
    }

    final Map<String, List<String>> extraLogLines = new ConcurrentHashMap<>();

    @Override
    public RunLogs logs(Launch launch) {
        java.time.Duration slow = slowLogs.get(launch.id());
        if (slow != null) {
            try {
                Thread.sleep(slow.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<String> lines = new ArrayList<>(List.of("hello from " + launch.id()));
        lines.addAll(extraLogLines.getOrDefault(launch.id(), List.of()));
        RunLogs all = RunLogs.of("memory:" + launch.id(), lines);
        return new RunLogs() {
            @Override
            public List<String> lines() {
                fullLogReads.incrementAndGet();
                return all.lines();
            }

            @Override
            public List<String> tail(int maxLines) {
                return lines.subList(Math.max(0, lines.size() - maxLines), lines.size());
            }

            @Override
            public String location() {
                return all.location();
            }
        };
    }

    @Override
    public List<Found> find(Map<String, String> labels) {
        List<Found> out = new ArrayList<>();
        for (Unit u : units.values()) {
            if (u.launch.labels().entrySet().containsAll(labels.entrySet())) {
                out.add(new Found(u.launch, u.status, u.finishedAt));
            }
        }
        return out;
    }

    @Override
    public void delete(Launch launch) {
        units.remove(launch.id());
    }

    void start(Launch launch) {
        units.get(launch.id()).status = RunStatus.of(RunStatus.Phase.RUNNING, "RUNNING");
    }

    void exit(Launch launch, int code) {
        Unit u = units.get(launch.id());
        finish(u, RunStatus.finished(code == 0 ? State.success("exit code 0")
                : State.failed("container exited with code " + code, null), "exit " + code));
    }

    void failToStart(Launch launch, String reason) {
        finish(units.get(launch.id()), RunStatus.finished(State.crashed("failed to start: " + reason, null), reason));
    }

    private static void finish(Unit u, RunStatus s) {
        u.finishedAt = Instant.now();
        u.status = s;
    }
}
