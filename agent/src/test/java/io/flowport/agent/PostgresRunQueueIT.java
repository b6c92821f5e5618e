package io.flowport.agent;

/** The run queue contract on a real PostgreSQL 15 (skipped, with the reason, when its binaries are missing). */
class PostgresRunQueueIT extends RunQueueContract {

    private String url;

    @Override
    RunQueue openQueue() {
        url = PostgresServer.shared().newDatabase();
        return RunQueues.open(url);
    }

    @Override
    RunQueue reopen() {
        return PostgresRunQueue.builder().url(url).build();
    }
}
