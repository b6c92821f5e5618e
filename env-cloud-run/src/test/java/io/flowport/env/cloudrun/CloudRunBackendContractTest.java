package io.flowport.env.cloudrun;

import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendContractTest;
import io.flowport.core.spi.Launch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The backend contract kit against the Cloud Run backend, driven through the real client library. */
class CloudRunBackendContractTest extends BackendContractTest {

    private static LocalCloudRun server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new LocalCloudRun();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected Backend createBackend() {
        return Fixtures.env(server).build().createBackend();
    }

    @Override
    protected void start(Launch launch) {
        server.start(launch.id());
    }

    @Override
    protected void exit(Launch launch, int exitCode) {
        server.exit(launch.id(), exitCode);
    }

    @Override
    protected void failToStart(Launch launch, String reason) {
        server.failToStart(launch.id(), reason);
    }
}
