package io.flowport.cli;

import io.flowport.cli.demo.DemoEtlFlow;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.env.local.LocalEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code flowport demo}: runs the bundled ETL flow with a LocalEnvironment. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the bundled ETL flow (read a CSV, transform each region in parallel, aggregate, "
                + "write a report) in this process.")
final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--output", description = "Report file (default: ${DEFAULT-VALUE}).",
            defaultValue = "flowport-demo-report.txt")
    Path output;

    @Option(names = "--input", description = "A CSV file with the columns date,region,product,units,unit_price "
            + "(default: the bundled sales.csv).")
    Path input;

    @Option(names = "--threads", description = "Threads of the parallel executor (default: ${DEFAULT-VALUE}).",
            defaultValue = "4")
    int threads;

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    @Option(names = "--report", paramLabel = "FILE", description = "The run's HTML timeline report (default: "
            + "flowport-demo-run.html next to --output).")
    Path report;

    @Override
    public Integer call() {
        if (threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, was "
                    + threads);
        }
        Flow flow = DemoEtlFlow.flow();
        FlowRun.Builder run = FlowRun.builder()
                .parameter("output", output.toAbsolutePath().toString());
        if (input != null) {
            run.parameter("input", input.toAbsolutePath().toString());
        }
        if (!noProgress) {
            run.listener(new Progress(System.err));
        }
        LocalEnvironment env = LocalEnvironment.builder().executor(Executor.parallel(threads)).build();
        FlowRunResult result = env.execute(flow, run.build());
        Report.print(result, spec.commandLine().getOut());
        result.result("report").ifPresent(p -> spec.commandLine().getOut().println("report written to " + p));
        Path html = report != null ? report : output.toAbsolutePath().resolveSibling("flowport-demo-run.html");
        Report.writeHtml(result, html, spec.commandLine().getOut());
        return result.isSuccess() ? 0 : 1;
    }
}
