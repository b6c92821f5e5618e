package io.flowport.cli;

import io.flowport.agent.Agent;
import io.flowport.agent.JobSpecs;
import io.flowport.agent.QueueException;
import io.flowport.agent.QueuedRun;
import io.flowport.agent.RunQueue;
import io.flowport.agent.RunQueues;
import io.flowport.agent.RunRequest;
import io.flowport.agent.RunState;
import io.flowport.agent.StateChange;
import io.flowport.core.ClasspathStorage;
import io.flowport.core.Flow;
import io.flowport.core.Serialization;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the queue commands do, apart from their options: the only CLI class that uses the agent's types. The
 * commands' own classes must not (picocli reads their methods whatever command runs, and the agent is a plugin that
 * only the queue commands load, see {@link QueueCommandLoader}).
 */
final class QueueActions {

    private QueueActions() {
    }

    /** Runs a queue command; a queue that fails (unreachable, refusing) is one line and exit code 1. */
    static int run(CommandLine cl, Callable<Integer> action) throws Exception {
        try {
            return action.call();
        } catch (QueueException e) {
            cl.getErr().println("flowport: " + e.getMessage());
            return 1;
        }
    }

    private static RunQueue open(String url) {
        return RunQueues.open(url);
    }

    static int submit(SubmitCommand c) {
        CommandLine cl = c.spec.commandLine();
        if (c.envFile != null && !Files.isRegularFile(c.envFile)) {
            throw new CommandLine.ParameterException(cl, "--env: no such file: " + c.envFile);
        }
        Thread.currentThread().setContextClassLoader(QueueSupport.classLoader(cl, c.classpath));
        ClasspathStorage storage = new ClasspathStorage();
        Flow f = storage.load(c.flow);
        storage.addFlow(f, c.flow);
        RunRequest.Builder b = RunRequest.builder(f).storage(storage, c.flow).parameters(c.params).labels(c.labels)
                .priority(c.priority);
        if (c.envFile != null) {
            b.environment(Serialization.readEnvironment(c.envFile));
        }
        if (c.notBefore != null) {
            b.notBefore(QueueSupport.instant(cl, "--not-before", c.notBefore));
        }
        if (c.timeout != null) {
            b.timeout(QueueSupport.duration(cl, "--timeout", c.timeout));
        }
        if (c.id != null) {
            b.id(c.id);
        }
        RunRequest request = b.build(); // validated before the queue is opened: bad input stores nothing
        try (RunQueue q = open(c.queue)) {
            cl.getOut().println(q.submit(request));
        }
        return 0;
    }

    static int startAgent(AgentCommand.Start c) throws InterruptedException {
        CommandLine cl = c.spec.commandLine();
        Thread.currentThread().setContextClassLoader(QueueSupport.classLoader(cl, c.classpath));
        JobSpecs.Builder specs = JobSpecs.builder();
        if (c.envFile != null) {
            requireFile(cl, "--env", c.envFile);
            specs.defaultEnvironment(c.envFile);
        }
        for (Path t : c.templates) {
            requireFile(cl, "--template", t);
            specs.template(t);
        }
        for (Map.Entry<String, Path> p : c.profiles.entrySet()) {
            requireFile(cl, "--profile " + p.getKey(), p.getValue());
            specs.profile(p.getKey(), p.getValue());
        }
        Duration drainFor = QueueSupport.duration(cl, "--drain-timeout", c.drainTimeout);
        Duration stopIn = c.stopAfter == null ? null : QueueSupport.duration(cl, "--stop-after", c.stopAfter);
        Duration lease = QueueSupport.duration(cl, "--lease", c.lease);
        Duration ttl = "off".equalsIgnoreCase(c.ttl) ? null : QueueSupport.duration(cl, "--ttl", c.ttl);
        RunQueue q = open(c.queue);
        Agent agent;
        try {
            Agent.Builder b = Agent.builder(q).labels(c.labels).maxConcurrent(c.maxConcurrent).jobSpecs(specs.build())
                    .lease(lease).ttl(ttl);
            if (c.name != null) {
                b.id(c.name);
            }
            if (c.processes != null) {
                b.localProcesses(c.processes);
            }
            agent = b.build();
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> {
            agent.shutdown(c.drain, drainFor);
            q.close();
            stopped.countDown();
        };
        Thread hook = new Thread(stop, "flowport-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        agent.start();
        cl.getOut().println("agent " + agent.id() + " started on " + q.describe() + " with labels " + c.labels
                + "; stop it with SIGTERM or Ctrl-C" + (c.drain ? " (it drains its runs first)" : ""));
        cl.getOut().flush();
        if (stopIn != null && !stopped.await(stopIn.toNanos(), TimeUnit.NANOSECONDS)) {
            Runtime.getRuntime().removeShutdownHook(hook);
            stop.run();
        }
        stopped.await();
        cl.getOut().println("agent " + agent.id() + " stopped");
        return 0;
    }

    private static void requireFile(CommandLine cl, String option, Path p) {
        if (!Files.isRegularFile(p)) {
            throw new CommandLine.ParameterException(cl, option + ": no such file: " + p);
        }
    }

    static int list(RunsCommand.ListRuns c) {
        Set<RunState> wanted = EnumSet.noneOf(RunState.class);
        for (String s : c.states) {
            try {
                wanted.add(RunState.parse(s));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(c.spec.commandLine(), "--state: " + e.getMessage());
            }
        }
        PrintWriter out = c.spec.commandLine().getOut();
        try (RunQueue q = open(c.queue)) {
            List<QueuedRun> runs = q.list(wanted, c.limit);
            out.printf("%-36s  %-20s  %-12s  %4s  %-19s  %-20s  %s%n", "ID", "FLOW", "STATE", "PRIO", "SUBMITTED",
                    "LABELS", "AGENT");
            for (QueuedRun r : runs) {
                out.printf("%-36s  %-20s  %-12s  %4d  %-19s  %-20s  %s%n", r.id(), cut(r.flowName(), 20), r.state(),
                        r.priority(), RunsCommand.time(r.submittedAt()), cut(String.join(",", r.labels()), 20),
                        r.agentId() == null ? "-" : r.agentId());
            }
            out.println(runs.size() + " run(s)" + (runs.size() == c.limit ? " (more with --limit)" : ""));
        }
        return 0;
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    static int show(RunsCommand.Show c) {
        PrintWriter out = c.spec.commandLine().getOut();
        try (RunQueue q = open(c.queue)) {
            Optional<QueuedRun> found = q.get(c.id);
            if (found.isEmpty()) {
                c.spec.commandLine().getErr().println("flowport: no run " + c.id + " in " + q.describe());
                return 1;
            }
            QueuedRun r = found.get();
            out.println("run        " + r.id());
            out.println("flow       " + r.flowName() + (r.flowLocation().equals(r.flowName()) ? ""
                    : " (at " + r.flowLocation() + ")"));
            out.println("state      " + r.state() + (r.stateMessage().isEmpty() ? "" : ": " + r.stateMessage()));
            out.println("labels     " + (r.labels().isEmpty() ? "(none)" : String.join(", ", r.labels())));
            out.println("priority   " + r.priority());
            out.println("parameters " + r.parametersJson());
            out.println("submitted  " + RunsCommand.time(r.submittedAt()) + (r.notBefore().isAfter(r.submittedAt())
                    ? ", not before " + RunsCommand.time(r.notBefore()) : ""));
            if (r.agentId() != null) {
                out.println("agent      " + r.agentId() + (r.state().isHeld() && r.leaseUntil() != null
                        ? " (lease until " + RunsCommand.time(r.leaseUntil()) + ")" : ""));
            }
            out.println("runs as    " + (r.unitId() == null ? "-" : r.unitId()));
            out.println("logs       " + (r.logsLocation() == null ? "-" : r.logsLocation()));
            if (r.cancelReason() != null) {
                out.println("cancel     requested: " + r.cancelReason());
            }
            out.println();
            out.printf("%-19s  %-12s  %-24s  %s%n", "WHEN", "STATE", "BY", "WHAT");
            for (StateChange h : r.history()) {
                out.printf("%-19s  %-12s  %-24s  %s%n", RunsCommand.time(h.at()), h.state(),
                        h.agentId() == null ? "-" : h.agentId(), h.message());
            }
        }
        return 0;
    }

    static int cancel(RunsCommand.Cancel c) {
        PrintWriter out = c.spec.commandLine().getOut();
        try (RunQueue q = open(c.queue)) {
            RunQueue.CancelOutcome o = q.cancel(c.id, c.reason);
            if (!o.found()) {
                c.spec.commandLine().getErr().println("flowport: no run " + c.id + " in " + q.describe());
                return 1;
            }
            if (o.cancelledNow()) {
                out.println("run " + c.id + " cancelled (it was queued; nothing was started)");
            } else if (o.stateBefore().isFinal()) {
                out.println("run " + c.id + " had already finished: " + o.stateBefore());
            } else {
                out.println("run " + c.id + " is " + o.stateBefore() + "; agent " + o.agentId()
                        + " stops its infrastructure at its next heartbeat");
            }
        }
        return 0;
    }
}
