package io.flowport.core;

/**
 * What callbacks learn about a run.
 *
 * @param flow        the flow
 * @param run         the run request
 * @param environment the environment's serialized type name
 */
public record RunInfo(Flow flow, FlowRun run, String environment) {
}
