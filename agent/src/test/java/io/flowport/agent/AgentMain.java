package io.flowport.agent;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An agent in its own JVM, for the tests that kill it ({@code kill -9}) or stop it ({@code SIGTERM}): arguments
 * {@code key=value} — {@code queue}, {@code id}, {@code labels} (comma-separated), {@code max}, {@code leaseMs},
 * {@code heartbeatMs}, {@code processes}, {@code drain}. Prints {@code STARTED <id>} once it claims, and on SIGTERM
 * shuts down as {@code flowport agent start} does (releasing its runs, or draining them).
 */
public final class AgentMain {

    private AgentMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        Arrays.stream(args).forEach(s -> a.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1)));
        RunQueue queue = RunQueues.open(a.get("queue"));
        Agent.Builder b = Agent.builder(queue).id(a.get("id")).environmentFactory(Ecs.FACTORY)
                .maxConcurrent(Integer.parseInt(a.getOrDefault("max", "100")))
                .lease(Duration.ofMillis(Long.parseLong(a.getOrDefault("leaseMs", "3000"))))
                .heartbeatInterval(Duration.ofMillis(Long.parseLong(a.getOrDefault("heartbeatMs", "500"))))
                .pollInterval(Duration.ofMillis(100)).recordInterval(Duration.ofMillis(20));
        if (!a.getOrDefault("labels", "").isBlank()) {
            b.labels(a.get("labels").split(","));
        }
        if (a.containsKey("processes")) {
            b.localProcesses(Paths.get(a.get("processes")));
        }
        boolean drain = Boolean.parseBoolean(a.getOrDefault("drain", "false"));
        Agent agent = b.build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.shutdown(drain, Duration.ofSeconds(60));
            queue.close();
            System.out.println("STOPPED " + agent.id());
            System.out.flush();
        }, "agent-shutdown"));
        agent.start();
        System.out.println("STARTED " + agent.id());
        System.out.flush();
        Thread.currentThread().join();
    }
}
