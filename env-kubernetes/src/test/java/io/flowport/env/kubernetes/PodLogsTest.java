package io.flowport.env.kubernetes;

import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How many Jobs' followed logs stay in memory. */
class PodLogsTest {

    private KubernetesTestServer server;
    private PodLogs logs;

    @BeforeEach
    void start() {
        server = KubernetesTestServer.start();
        logs = new PodLogs(server.client(), "logs", 100);
    }

    @AfterEach
    void stop() {
        logs.close();
        server.close();
    }

    @Test
    void onlyTheNewestFinishedJobsKeepTheirLogsAndRunningOnesAlwaysDo() {
        logs.stream("running-0", "running-0-pod", "flow");
        int finished = PodLogs.MAX_RETAINED_JOBS + 10;
        for (int i = 0; i < finished; i++) {
            logs.stream("job-" + i, "job-" + i + "-pod", "flow");
            logs.finished("job-" + i);
        }
        // the bound counts Jobs still running too; they are never the ones dropped
        assertThat(logs.retainedJobs()).isEqualTo(PodLogs.MAX_RETAINED_JOBS);
        assertThat(logs.retains("running-0")).as("the oldest, but running").isTrue();
        assertThat(logs.retains("job-0")).isFalse();
        assertThat(logs.retains("job-" + (finished - 1))).isTrue();
        logs.stream("job-late", "job-late-pod", "flow");
        assertThat(logs.retainedJobs()).isEqualTo(PodLogs.MAX_RETAINED_JOBS);
        assertThat(logs.retains("job-late")).isTrue();
    }
}
