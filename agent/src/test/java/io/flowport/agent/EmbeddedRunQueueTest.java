package io.flowport.agent;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The run queue contract on the embedded SQLite file. */
class EmbeddedRunQueueTest extends RunQueueContract {

    @TempDir
    Path dir;

    @Override
    RunQueue openQueue() {
        return EmbeddedRunQueue.open(dir.resolve("queue.db"));
    }

    @Override
    RunQueue reopen() {
        return RunQueues.open(dir.resolve("queue.db").toString());
    }
}
