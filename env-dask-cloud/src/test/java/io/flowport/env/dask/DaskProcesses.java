package io.flowport.env.dask;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** The Dask processes Flowport started on this machine, found by listing processes (as a user would, with ps). */
final class DaskProcesses {

    private DaskProcesses() {
    }

    /**
     * Every live process the {@code local} platform started through Flowport's Dask launcher file (the launcher's
     * path is one argument of its command line; processes that run the launcher's text with {@code python -c}, as
     * containers do, are not local processes).
     */
    static List<ProcessHandle> all() {
        try (Stream<ProcessHandle> s = ProcessHandle.allProcesses()) {
            return s.filter(h -> h.isAlive() && ours(h) && h.info().arguments().map(a -> Arrays.stream(a)
                    .anyMatch(arg -> arg.endsWith("/flowport_dask_process.py"))).orElse(false)).toList();
        }
    }

    /**
     * Started by this test JVM, or left by a driver that died (re-parented to init): not a process of another
     * build running on the same machine.
     */
    private static boolean ours(ProcessHandle h) {
        ProcessHandle self = ProcessHandle.current();
        for (ProcessHandle p = h.parent().orElse(null); p != null; p = p.parent().orElse(null)) {
            if (p.pid() == self.pid()) {
                return true;
            }
            if (p.pid() == 1) {
                return h.parent().map(direct -> direct.pid() == 1).orElse(true);
            }
        }
        return true;
    }

    /** Live worker processes. */
    static List<ProcessHandle> workers() {
        return all().stream().filter(h -> args(h).contains("distributed.cli.dask_worker")).toList();
    }

    /** Live processes whose command line contains {@code text}. */
    static List<ProcessHandle> withArgument(String text) {
        try (Stream<ProcessHandle> s = ProcessHandle.allProcesses()) {
            return s.filter(h -> h.isAlive() && args(h).contains(text)).toList();
        }
    }

    static String args(ProcessHandle h) {
        return h.info().arguments().map(a -> String.join(" ", Arrays.asList(a))).orElse("")
                + " " + h.info().command().orElse("");
    }
}
