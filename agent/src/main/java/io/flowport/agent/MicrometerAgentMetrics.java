package io.flowport.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * An agent's metrics on a Micrometer registry the user passes (Prometheus, CloudWatch, OTLP …). Needs
 * {@code io.micrometer:micrometer-core} on the class path (an optional dependency of {@code flowport-agent}). Every
 * meter is tagged {@code agent} with the agent's id:
 * <ul>
 *   <li>{@code flowport.agent.runs.claimed} (counter; tag {@code takeover} = {@code true}/{@code false});</li>
 *   <li>{@code flowport.agent.runs.launched} (counter) and {@code flowport.agent.launch.latency} (timer: submitted to
 *       launched);</li>
 *   <li>{@code flowport.agent.runs.finished} (counter; tag {@code state});</li>
 *   <li>{@code flowport.agent.runs.in.flight} and {@code flowport.agent.queue.depth} (gauges);</li>
 *   <li>{@code flowport.agent.claim.latency} (timer: one claim call);</li>
 *   <li>{@code flowport.agent.lease.takeovers} (counter: runs taken over after their lease expired or was
 *       released) and {@code flowport.agent.runs.reattached} (counter: taken-over runs whose unit was found by its
 *       label and followed again);</li>
 *   <li>{@code flowport.agent.units.deleted} (counter: finished units the TTL controller deleted).</li>
 * </ul>
 */
public final class MicrometerAgentMetrics implements AgentMetrics {

    private final MeterRegistry registry;
    private volatile Meters meters;

    private MicrometerAgentMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Metrics on {@code registry}; meters are registered when the agent starts. */
    public static MicrometerAgentMetrics of(MeterRegistry registry) {
        return new MicrometerAgentMetrics(Objects.requireNonNull(registry, "registry"));
    }

    @Override
    public void bind(String agentId, LongSupplier inFlight, LongSupplier queueDepth) {
        // strong references: the suppliers are lambdas nobody else holds, and a gauge only keeps a weak one by default
        Gauge.builder("flowport.agent.runs.in.flight", inFlight, LongSupplier::getAsLong).tag("agent", agentId)
                .description("runs this agent holds and follows").strongReference(true).register(registry);
        Gauge.builder("flowport.agent.queue.depth", queueDepth, LongSupplier::getAsLong).tag("agent", agentId)
                .description("runs waiting in the queue, as of the last heartbeat").strongReference(true)
                .register(registry);
        meters = new Meters(registry, agentId);
    }

    @Override
    public void claimed(int count, int takeovers, Duration latency) {
        Meters m = meters;
        if (m == null) {
            return;
        }
        m.claimLatency.record(latency);
        m.claimed.increment(count - takeovers);
        m.claimedTakeover.increment(takeovers);
        m.takeovers.increment(takeovers);
    }

    @Override
    public void launched(Duration sinceSubmit) {
        Meters m = meters;
        if (m != null) {
            m.launched.increment();
            m.launchLatency.record(sinceSubmit);
        }
    }

    @Override
    public void reattached() {
        Meters m = meters;
        if (m != null) {
            m.reattached.increment();
        }
    }

    @Override
    public void finished(RunState state) {
        Meters m = meters;
        if (m != null) {
            m.finished.get(state).increment();
        }
    }

    @Override
    public void deleted(int count) {
        Meters m = meters;
        if (m != null) {
            m.deleted.increment(count);
        }
    }

    private static final class Meters {
        final Counter claimed;
        final Counter claimedTakeover;
        final Counter launched;
        final Counter takeovers;
        final Counter deleted;
        final Counter reattached;
        final Timer claimLatency;
        final Timer launchLatency;
        final Map<RunState, Counter> finished = new EnumMap<>(RunState.class);

        Meters(MeterRegistry r, String agent) {
            claimed = Counter.builder("flowport.agent.runs.claimed").tag("agent", agent).tag("takeover", "false")
                    .description("runs claimed").register(r);
            claimedTakeover = Counter.builder("flowport.agent.runs.claimed").tag("agent", agent)
                    .tag("takeover", "true").description("runs claimed").register(r);
            launched = Counter.builder("flowport.agent.runs.launched").tag("agent", agent)
                    .description("runs whose unit was launched").register(r);
            takeovers = Counter.builder("flowport.agent.lease.takeovers").tag("agent", agent)
                    .description("runs taken over from an agent whose lease expired or was released").register(r);
            reattached = Counter.builder("flowport.agent.runs.reattached").tag("agent", agent)
                    .description("taken-over runs whose unit was found by its label and followed again").register(r);
            deleted = Counter.builder("flowport.agent.units.deleted").tag("agent", agent)
                    .description("finished units deleted by the TTL controller").register(r);
            claimLatency = Timer.builder("flowport.agent.claim.latency").tag("agent", agent)
                    .description("duration of one claim call").publishPercentiles(0.5, 0.99).register(r);
            launchLatency = Timer.builder("flowport.agent.launch.latency").tag("agent", agent)
                    .description("from submission to launch").publishPercentiles(0.5, 0.99).register(r);
            for (RunState s : RunState.FINAL) {
                finished.put(s, Counter.builder("flowport.agent.runs.finished").tag("agent", agent)
                        .tag("state", s.name()).description("runs that ended, by state").register(r));
            }
        }
    }
}
