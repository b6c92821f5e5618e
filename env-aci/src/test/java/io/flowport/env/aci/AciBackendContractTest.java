package io.flowport.env.aci;

import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendContractTest;
import io.flowport.core.spi.Launch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

/** The backend contract kit against the ACI backend, driven through the real Azure SDK and {@link LocalArmServer}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AciBackendContractTest extends BackendContractTest {

    private static LocalArmServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new LocalArmServer();
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
