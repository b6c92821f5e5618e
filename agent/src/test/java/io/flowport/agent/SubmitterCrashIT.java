package io.flowport.agent;

import io.flowport.core.spi.Names;
import io.flowport.agent.internal.AgentJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Submitters killed with {@code kill -9} while they write: every run the queue acknowledged is there, and no run is
 * there in part (its payload matches its checksum, its labels and its first history entry are there; a batch is
 * all there or not at all). On the embedded file and on PostgreSQL.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SubmitterCrashIT {

    @TempDir
    Path dir;

    @Test
    void embeddedQueue() throws Exception {
        killSubmittersAndCheck(dir.resolve("queue.db").toString());
    }

    @Test
    void postgresQueue() throws Exception {
        killSubmittersAndCheck(PostgresServer.shared().newDatabase());
    }

    private void killSubmittersAndCheck(String url) throws Exception {
        List<String> acked = new ArrayList<>();
        List<String> ackedBatches = new ArrayList<>();
        for (int life = 0; life < 4; life++) {
            try (ChildJvm submitter = ChildJvm.start(SubmitterMain.class, ChildJvm.log("submitter-" + life),
                    List.of(), url, "s" + life)) {
                submitter.await("READY"::equals, Duration.ofSeconds(60));
                String last = "ACK s" + life + "-r" + 2 * (10 + ThreadLocalRandom.current().nextInt(40));
                submitter.await(last::equals, Duration.ofSeconds(120));
                submitter.kill(); // somewhere in the middle of a later write
                for (String line : submitter.output()) {
                    if (line.startsWith("ACK ")) {
                        acked.add(line.substring(4));
                    } else if (line.startsWith("ACK-BATCH ")) {
                        ackedBatches.add(line.substring(10));
                    }
                }
            }
        }
        try (RunQueue queue = RunQueues.open(url)) {
            List<QueuedRun> stored = queue.list(EnumSet.noneOf(RunState.class), 1_000_000);
            Map<String, QueuedRun> byId = new HashMap<>();
            stored.forEach(r -> byId.put(r.id(), r));
            assertThat(byId).as("every acknowledged run is stored").containsKeys(acked.toArray(String[]::new));
            Map<String, Integer> perBatch = new HashMap<>();
            for (QueuedRun r : stored) {
                QueuedRun full = queue.get(r.id()).orElseThrow();
                Map<String, Object> params = AgentJson.parameters(full.parametersJson());
                assertThat(Names.sha256Hex((String) params.get("payload"))).as("payload of " + r.id())
                        .isEqualTo(params.get("sha256"));
                assertThat(full.labels()).containsExactly("extra", SubmitterMain.LABEL);
                assertThat(full.environmentJson()).contains("\"type\":\"local\"");
                assertThat(full.history()).singleElement().satisfies(h -> assertThat(h.state())
                        .isEqualTo(RunState.QUEUED));
                int dash = r.id().lastIndexOf('-');
                if (r.id().contains("-b")) {
                    perBatch.merge(r.id().substring(0, dash + 1), 1, Integer::sum);
                }
            }
            assertThat(perBatch.values()).as("batches are whole").allMatch(n -> n == 10);
            assertThat(perBatch).containsKeys(ackedBatches.toArray(String[]::new));
            assertThat(stored.size()).isGreaterThanOrEqualTo(acked.size() + 10 * ackedBatches.size());
        }
    }
}
