package io.flowport.agent;

import io.flowport.core.spi.Names;
import io.flowport.env.local.LocalEnvironment;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A process that submits runs as fast as it can until it is killed: arguments {@code <queue url> <id prefix>}.
 * Every odd round is one run, every even round a batch of ten; each run carries a large random payload and its
 * SHA-256, so that a half-written run can be recognised. Prints {@code ACK <id>} (or {@code ACK-BATCH <prefix>})
 * after the queue acknowledged it. Bounded: stops after 100,000 rounds.
 */
public final class SubmitterMain {

    static final String LABEL = "submit-test";

    private SubmitterMain() {
    }

    public static void main(String[] args) {
        String prefix = args[1];
        try (RunQueue queue = RunQueues.open(args[0])) {
            String env = io.flowport.core.Serialization.toJson(LocalEnvironment.builder().labels(LABEL).build());
            System.out.println("READY");
            System.out.flush();
            for (int round = 0; round < 100_000; round++) {
                if (round % 2 == 0) {
                    String id = prefix + "-r" + round;
                    queue.submit(request(id, env));
                    System.out.println("ACK " + id);
                } else {
                    List<RunRequest> batch = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        batch.add(request(prefix + "-b" + round + "-" + i, env));
                    }
                    queue.submitAll(batch);
                    System.out.println("ACK-BATCH " + prefix + "-b" + round + "-");
                }
                System.out.flush();
            }
        }
    }

    static RunRequest request(String id, String env) {
        StringBuilder payload = new StringBuilder();
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int n = 2000 + r.nextInt(30_000);
        for (int i = 0; i < n; i++) {
            payload.append((char) ('a' + r.nextInt(26)));
        }
        return RunRequest.builder("submitted-flow").id(id).environmentJson(env).labels("extra")
                .parameter("payload", payload.toString()).parameter("sha256", Names.sha256Hex(payload.toString()))
                .priority(r.nextInt(5)).build();
    }
}
