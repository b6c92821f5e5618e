package io.flowport.agent;

import io.flowport.core.FlowportException;

/** The run queue's store failed or refused an operation (the message names the queue and the operation). */
public class QueueException extends FlowportException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message and its cause. */
    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Creates an exception with a message. */
    public QueueException(String message) {
        super(message);
    }
}
