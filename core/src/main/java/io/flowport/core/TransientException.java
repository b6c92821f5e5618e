package io.flowport.core;

/**
 * A failure that may go away on its own: throttling, a 5xx answer, a lost connection. Backends throw it
 * so that the shared lifecycle retries with backoff under its deadline. Backends mark throttling (a rate limit or
 * quota answer, recognised by the platform's error code or HTTP 429) with {@link #throttled(String, Throwable)},
 * so that metrics can count it apart from other transient failures.
 */
public class TransientException extends FlowportException {
    private static final long serialVersionUID = 1L;

    private final boolean throttled;

    /** Creates an exception with a message. */
    public TransientException(String message) {
        this(message, null, false);
    }

    /** Creates an exception with a message and its cause. */
    public TransientException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /**
     * Creates an exception with a message and its cause.
     *
     * @param throttled whether the platform refused the call because of a rate limit or quota
     */
    public TransientException(String message, Throwable cause, boolean throttled) {
        super(message, cause);
        this.throttled = throttled;
    }

    /** A failure because the platform throttled the call (a rate limit or quota answer). */
    public static TransientException throttled(String message, Throwable cause) {
        return new TransientException(message, cause, true);
    }

    /** Whether the platform throttled the call (rather than failing it or not answering). */
    public boolean throttled() {
        return throttled;
    }
}
