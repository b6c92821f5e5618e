package io.flowport.core;

/** A task attempt or a command ran longer than its timeout. The task ends {@code TimedOut}. */
public class TaskTimeoutException extends FlowportException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public TaskTimeoutException(String message) {
        super(message);
    }
}
