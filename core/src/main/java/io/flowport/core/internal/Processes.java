package io.flowport.core.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/** Helpers for child processes. Not public API. */
public final class Processes {

    private static final Logger LOG = LoggerFactory.getLogger(Processes.class);

    private Processes() {
    }

    /** Kills a process and all its descendants, and waits up to five seconds for it to go. */
    public static void killTree(Process process) {
        ProcessHandle root = process.toHandle();
        root.descendants().forEach(ProcessHandle::destroyForcibly);
        root.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.debug("killed process tree of pid {}", root.pid());
    }
}
