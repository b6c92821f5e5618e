package io.flowport.core;

/**
 * The root of every exception Flowport throws. Unchecked; the cause is always kept.
 */
public class FlowportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message. */
    public FlowportException(String message) {
        super(message);
    }

    /** Creates an exception with a message and the cause it wraps. */
    public FlowportException(String message, Throwable cause) {
        super(message, cause);
    }
}
