package io.flowport.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Cancels a flow run from another thread. Cancelling is idempotent: the first reason wins and the
 * registered hooks run once (e.g. interrupting tasks, stopping a remote container).
 */
public final class CancellationToken {

    private volatile String reason;
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();

    /** A token that nobody has cancelled yet. */
    public CancellationToken() {
    }

    /** Cancels the run. Non-blocking apart from the hooks, which should be quick. */
    public void cancel(String why) {
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why == null || why.isBlank() ? "cancelled" : why;
        }
        for (Runnable hook : hooks) {
            hook.run();
        }
    }

    /** Whether {@link #cancel(String)} was called. */
    public boolean isCancelled() {
        return reason != null;
    }

    /** Why the run was cancelled, or {@code null}. */
    public String reason() {
        return reason;
    }

    /**
     * Registers a hook that runs on cancellation; runs it at once if the token is already cancelled.
     *
     * @return a handle that removes the hook
     */
    public AutoCloseable onCancel(Runnable hook) {
        hooks.add(hook);
        if (isCancelled()) {
            hook.run();
        }
        return () -> hooks.remove(hook);
    }
}
