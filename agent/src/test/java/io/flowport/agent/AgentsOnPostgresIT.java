package io.flowport.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowport.env.fargate.LocalAwsServer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two, then eight agents on one PostgreSQL queue with 2,000 runs on the local ECS server: every run is claimed
 * exactly once, as the backend saw it (one RunTask call and one task per run), and every agent gets a share.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class AgentsOnPostgresIT {

    static final int RUNS = 2000;

    @org.junit.jupiter.api.Test
    void neverMoreThanMaxConcurrentInFlight() {
        String url = PostgresServer.shared().newDatabase();
        try (LocalAwsServer ecs = new LocalAwsServer(16); RunQueue queue = RunQueues.open(url)) {
            ecs.autoRun(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(200));
            Agent agent = Agent.builder(queue).environmentFactory(Ecs.FACTORY).maxConcurrent(4)
                    .pollInterval(Duration.ofMillis(100)).recordInterval(Duration.ofMillis(20)).ttl(null).build().start();
            try {
                AgentTest.assertBackpressure(queue, agent, ecs.endpoint(), 4, 20);
            } finally {
                agent.shutdown(false, Duration.ofSeconds(10));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0} agents")
    @ValueSource(ints = {2, 8})
    void everyRunIsClaimedExactlyOnce(int count) throws Exception {
        String url = PostgresServer.shared().newDatabase();
        try (LocalAwsServer ecs = new LocalAwsServer(16);
             RunQueue submitter = RunQueues.open(url)) {
            ecs.autoRun(Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofMillis(100));
            String env = Ecs.envJson(ecs.endpoint(), "pg");
            List<RunRequest> batch = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                batch.add(RunRequest.builder(Ecs.flow("pg-job", "exit 0")).environmentJson(env).build());
            }
            for (int from = 0; from < RUNS; from += 500) {
                submitter.submitAll(batch.subList(from, from + 500));
            }
            List<Agent> agents = new ArrayList<>();
            List<RunQueue> queues = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    RunQueue q = PostgresRunQueue.builder().url(url).poolSize(3).build();
                    queues.add(q);
                    agents.add(Agent.builder(q).id("pg-agent-" + i).labels("pg").environmentFactory(Ecs.FACTORY)
                            .maxConcurrent(150).claimBatch(25).pollInterval(Duration.ofMillis(50))
                            .recordInterval(Duration.ofMillis(50)).ttl(null).build());
                }
                agents.forEach(Agent::start);
                await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).until(() ->
                        submitter.counts().getOrDefault(RunState.SUCCESS, 0L) == RUNS);
                assertThat(agents.stream().mapToInt(Agent::claimed).sum()).isEqualTo(RUNS);
                assertThat(agents).allSatisfy(a -> assertThat(a.claimed()).as(a.id()).isPositive());
            } finally {
                agents.forEach(a -> a.shutdown(false, Duration.ofSeconds(20)));
                queues.forEach(RunQueue::close);
            }
            JsonNode stats = Ecs.stats(ecs.endpoint());
            assertThat(stats.path("calls").path("RunTask").asInt()).as("RunTask calls").isEqualTo(RUNS);
            assertThat(stats.path("tasks").asInt()).as("tasks").isEqualTo(RUNS);
            assertThat(stats.path("runsWithMoreThanOneTask").asInt()).isZero();
            assertThat(submitter.counts()).containsOnly(Map.entry(RunState.SUCCESS, (long) RUNS));
        }
    }
}
