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

    /**
     * The last {@code maxLines} lines. Implementations read from the end of the log where the platform allows
     * (CloudWatch {@code startFromHead=false}, Kubernetes {@code tailLines}), so that a long log costs one call;
     * the default takes them from {@link #lines()}. May block to fetch.
     *
     * @throws IllegalArgumentException if {@code maxLines} is negative
     */
    default List<String> tail(int maxLines) {
        if (maxLines < 0) {
            throw new IllegalArgumentException("maxLines must be >= 0, was " + maxLines);
        }
        List<String> all = lines();
        return all.size() <= maxLines ? all : List.copyOf(all.subList(all.size() - maxLines, all.size()));
    }

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
