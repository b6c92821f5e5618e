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
            return s.filter(h -> h.isAlive() && h.info().arguments().map(a -> Arrays.stream(a)
                    .anyMatch(arg -> arg.endsWith("/flowport_dask_process.py"))).orElse(false)).toList();
        }
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
