package io.flowport.env.fargate;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.spi.Launch;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Status reads are batched: at most ceil(in-flight / 100) DescribeTasks calls per poll. */
class DescribeBatchingTest {

    @Test
    void manyRunsInFlightArePolledInBatchesOfAHundred() throws Exception {
        try (LocalAwsServer server = new LocalAwsServer(16);
             FargateTaskEnvironment env = Fixtures.env(server).build()) {
            Flow flow = Flow.command("batch", CommandSpec.of("true"));
            env.setup(flow);
            int n = 250;
            List<CompletableFuture<FlowRunResult>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(env.submit(flow, FlowRun.create()));
            }
            await().atMost(30, TimeUnit.SECONDS).until(() -> server.tasks().size() == n);
            int pollsBefore = server.polls().size();
            await().atMost(30, TimeUnit.SECONDS).until(() -> server.polls().size() >= pollsBefore + 3);
            server.tasks().forEach(t -> server.start(t.arn()));
            server.tasks().forEach(t -> server.exit(t.arn(), 0));
            for (CompletableFuture<FlowRunResult> r : results) {
                assertThat(r.get(30, TimeUnit.SECONDS).isSuccess()).isTrue();
            }
            assertThat(server.maxDescribeBatch()).isEqualTo(100);
            assertThat(server.polls()).isNotEmpty().allSatisfy(p ->
                    assertThat(p[0]).as("DescribeTasks calls for a poll of %s tasks", p[1])
                            .isLessThanOrEqualTo((int) Math.ceil(p[1] / 100.0)));
            assertThat(server.polls()).anySatisfy(p -> assertThat(p[1]).isEqualTo(n));
            assertThat(server.calls("RunTask")).isEqualTo(n);
        }
    }

    @Test
    void statusReadsArePacedAtEcsDocumentedDescribeTasksRate() throws Exception {
        try (LocalAwsServer server = new LocalAwsServer(16);
             FargateTaskEnvironment env = Fixtures.env(server).build()) {
            Flow flow = Flow.command("paced", CommandSpec.of("true"));
            env.setup(flow);
            assertThat(env.backend().readsPerSecond()).isEqualTo(20); // ECS: DescribeTasks 20/s sustained
            // 300 runs are 3 DescribeTasks per poll; polls every 20 ms unpaced would be 150 calls a second
            List<CompletableFuture<FlowRunResult>> results = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                results.add(env.submit(flow, FlowRun.create()));
            }
            await().atMost(30, TimeUnit.SECONDS).until(() -> server.tasks().size() == 300);
            int before = server.calls("DescribeTasks");
            await().atMost(30, TimeUnit.SECONDS).until(() -> server.calls("DescribeTasks") >= before + 90);
            server.tasks().forEach(t -> server.exit(t.arn(), 0));
            for (CompletableFuture<FlowRunResult> r : results) {
                assertThat(r.get(30, TimeUnit.SECONDS).isSuccess()).isTrue();
            }
            // the lifecycle starts calls 50 ms apart; counted by arrival in fixed one-second windows, a call that
            // waited a little longer for its thread can land in the next second with the next twenty
            assertThat(server.maxPerSecond("DescribeTasks")).as("DescribeTasks calls in one second")
                    .isBetween(10, 21);
            assertThat(server.maxRate("DescribeTasks", 4)).as("DescribeTasks per second over 4 s").isLessThanOrEqualTo(20.25);
        }
    }

    @Test
    void runsInSeveralClustersAreDescribedPerCluster() throws Exception {
        try (LocalAwsServer server = new LocalAwsServer(2)) {
            EcsBackend backend = EcsBackend.create(Fixtures.env(server).build());
            try {
                List<Launch> launches = new ArrayList<>();
                for (String cluster : List.of("blue", "green", "blue")) {
                    launches.add(new Launch("arn:aws:ecs:us-east-1:123456789012:task/" + cluster + "/"
                            + launches.size(), "run-" + launches.size(), Map.of(), Instant.now()));
                }
                assertThat(backend.describe(launches)).isEmpty(); // unknown tasks are left out
                assertThat(server.calls("DescribeTasks")).isEqualTo(2);
            } finally {
                backend.close();
            }
        }
    }
}
