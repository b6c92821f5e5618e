package io.flowport.env.cloudrun;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.ArrayList;
import java.util.List;

/** Tests against a fresh {@link LocalCloudRun}; environments built through {@link #env} are closed after each test. */
abstract class WithLocalCloudRun {

    protected LocalCloudRun server;
    private final List<CloudRunJobEnvironment> envs = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = new LocalCloudRun();
    }

    @AfterEach
    void closeEnvironmentsAndServer() {
        envs.forEach(CloudRunJobEnvironment::close);
        envs.clear();
        server.close();
    }

    /** Builds an environment that is closed after the test. */
    protected CloudRunJobEnvironment env(CloudRunJobEnvironment.Builder b) {
        CloudRunJobEnvironment e = b.build();
        envs.add(e);
        return e;
    }

    /** A valid environment on this test's server. */
    protected CloudRunJobEnvironment.Builder fixture() {
        return Fixtures.env(server);
    }
}
