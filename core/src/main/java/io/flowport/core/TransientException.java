package io.flowport.core;

/**
 * A failure that may go away on its own: throttling, a 5xx answer, a lost connection. Backends throw it
 * so that the shared lifecycle retries with backoff under its deadline.
 */
public class TransientException extends FlowportException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message. */
    public TransientException(String message) {
        super(message);
    }

    /** Creates an exception with a message and its cause. */
    public TransientException(String message, Throwable cause) {
        super(message, cause);
    }
}
