package io.flowport.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The agent-side job spec callback, {@code (flowRun, defaultSpec) -> spec}: it gets each claimed run and the
 * environment document the agent would deploy it with (after templates, profiles and {@code metadata.cpu} /
 * {@code metadata.memory}), and returns the document to deploy — changed in place, or a new one. The document is the
 * environment's JSON, the same for every provider ({@code type}, {@code labels}, {@code metadata} and the provider's
 * settings, e.g. {@code cpu}, {@code memory}, {@code subnets} for {@code fargate-task}); anything it sets is validated
 * as if the run had been submitted with it.
 *
 * <p>Called on the agent's claim thread for every run: keep it quick (cache what it fetches). A callback that throws
 * fails that run ({@code Failed}, with the message), and nothing is launched.
 */
@FunctionalInterface
public interface JobSpecCustomizer {

    /**
     * The spec to deploy {@code run} with.
     *
     * @param run         the claimed run (its flow, parameters, labels, priority)
     * @param defaultSpec the environment document the agent would use; may be changed and returned
     * @return the document to deploy (not null)
     */
    ObjectNode customize(QueuedRun run, ObjectNode defaultSpec);
}
