package io.flowport.env.dask;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** The Dask processes Flowport started on this machine, found by listing processes (as a user would, with ps). */
final class DaskProcesses {

    private DaskProcesses() {
    }

    /** Every live process started through Flowport's Dask launcher. */
    static List<ProcessHandle> all() {
        try (Stream<ProcessHandle> s = ProcessHandle.allProcesses()) {
            return s.filter(h -> h.isAlive() && args(h).contains("flowport_dask_process.py")).toList();
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
