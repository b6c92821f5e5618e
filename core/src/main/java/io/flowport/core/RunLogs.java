package io.flowport.core;

import java.util.List;

/** The log lines of a run's infrastructure (a container, a pod, a child process). */
public interface RunLogs {

    /** No logs. */
    RunLogs NONE = new RunLogs() {
        @Override
        public List<String> lines() {
            return List.of();
        }

        @Override
        public String location() {
            return "(no logs)";
        }
    };

    /** The lines fetched so far (for a finished run: all of them). May block to fetch. */
    List<String> lines();

    /** Where the logs live, for people (a log group and stream, a pod name, a file). */
    String location();

    /** Logs held in memory. */
    static RunLogs of(String location, List<String> lines) {
        List<String> copy = List.copyOf(lines);
        return new RunLogs() {
            @Override
            public List<String> lines() {
                return copy;
            }

            @Override
            public String location() {
                return location;
            }
        };
    }
}
