package io.flowport.agent;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * What an agent reports about itself. {@link MicrometerAgentMetrics} records it on a Micrometer registry; this
 * interface keeps Micrometer optional (a user without it never loads a Micrometer class). Methods are called on the
 * agent's threads and must be quick. All default to doing nothing.
 */
public interface AgentMetrics {

    /** Records nothing. */
    AgentMetrics NONE = new AgentMetrics() {
    };

    /** Called once when the agent starts, with live values: runs in flight and runs waiting in the queue. */
    default void bind(String agentId, LongSupplier inFlight, LongSupplier queueDepth) {
    }

    /** A claim call took {@code latency} and returned {@code count} runs, {@code takeovers} of them taken over. */
    default void claimed(int count, int takeovers, Duration latency) {
    }

    /** A run's unit was launched, {@code sinceSubmit} after the run was submitted (first launches only). */
    default void launched(Duration sinceSubmit) {
    }

    /** A run taken over from another agent was found running or finished on its platform and followed again. */
    default void reattached() {
    }

    /** A run ended in {@code state}, recorded by this agent. */
    default void finished(RunState state) {
    }

    /** The TTL controller deleted {@code count} finished units. */
    default void deleted(int count) {
    }
}
