package io.flowport.core;

/**
 * The body of a task. It receives the run's parameters and the results of its upstream tasks through
 * the {@link TaskContext} and returns its own result (which may be {@code null}).
 */
@FunctionalInterface
public interface TaskFunction {
    /**
     * Runs the task. Blocking. Throwing fails the attempt (and, after the last retry, the task).
     * Long-running bodies should respond to interruption: that is how timeouts and cancellation reach them.
     */
    Object run(TaskContext context) throws Exception;
}
