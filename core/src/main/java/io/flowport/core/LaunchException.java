package io.flowport.core;

/**
 * Starting or following a flow run on its infrastructure failed for a reason that retrying will not fix
 * (a refused launch, a definition the platform rejects, bad credentials).
 */
public class LaunchException extends FlowportException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message. */
    public LaunchException(String message) {
        super(message);
    }

    /** Creates an exception with a message and its cause. */
    public LaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
