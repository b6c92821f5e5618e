/**
 * Code shared inside the agent module and not part of its API: the JDBC queue, the batched state recorder, the
 * environment cache, JSON helpers and the detached local-process backend. Nothing here is stable; do not use it
 * from other modules.
 */
package io.flowport.agent.internal;
