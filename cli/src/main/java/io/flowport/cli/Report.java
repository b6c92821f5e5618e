package io.flowport.cli;

import io.flowport.core.FlowRunResult;
import io.flowport.core.RunReport;
import io.flowport.core.TaskRun;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;

/** Prints the table of tasks and the final state of a run. */
final class Report {

    private static final int MAX_ROWS = 50;

    private Report() {
    }

    static void print(FlowRunResult r, PrintWriter out) {
        List<TaskRun> tasks = List.copyOf(r.tasks().values());
        if (!tasks.isEmpty()) {
            int nameWidth = Math.max(4, tasks.stream().limit(MAX_ROWS).mapToInt(t -> t.name().length()).max()
                    .orElse(4));
            String fmt = "%-" + nameWidth + "s  %-9s  %8s  %10s  %s%n";
            out.printf(fmt, "TASK", "STATE", "ATTEMPTS", "DURATION", "MESSAGE");
            int shown = 0;
            for (TaskRun t : tasks) {
                if (shown++ == MAX_ROWS) {
                    out.printf("... and %d more tasks (%s)%n", tasks.size() - MAX_ROWS, r.countByState());
                    break;
                }
                out.printf(fmt, t.name(), t.state().type().displayName(), t.attempts(), format(t.duration()),
                        abbreviate(t.state().message()));
            }
            out.println();
        }
        out.printf("flow run %s of '%s': %s in %s%n", r.flowRunId(), r.flowName(), r.state(), format(r.duration()));
        for (String w : r.warnings()) {
            out.println("warning: " + w);
        }
        if (!r.logs().lines().isEmpty() && !r.isSuccess()) {
            out.println("logs (" + r.logs().location() + "), last lines:");
            List<String> lines = r.logs().lines();
            lines.subList(Math.max(0, lines.size() - 10), lines.size()).forEach(l -> out.println("  " + l));
        }
    }

    /** Writes the run's HTML report and prints where; a failure to write is printed, not thrown. */
    static void writeHtml(FlowRunResult r, java.nio.file.Path file, PrintWriter out) {
        try {
            out.println("run report: " + RunReport.write(r, file).toAbsolutePath());
        } catch (java.io.UncheckedIOException e) {
            out.println("run report not written: " + e.getMessage());
        }
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + " ms" : String.format("%.2f s", ms / 1000.0);
    }

    private static String abbreviate(String s) {
        return s.length() <= 70 ? s : s.substring(0, 67) + "...";
    }
}
