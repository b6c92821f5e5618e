package io.flowport.env.fargate;

import org.junit.jupiter.api.AfterEach;

import java.util.ArrayList;
import java.util.List;

/**
 * Tests against a {@link LocalAwsServer}: subclasses start {@link #server} in their own {@code @BeforeEach}
 * (with the sizes and timings they need) and build environments through {@link #env}; both are closed after
 * each test.
 */
abstract class WithLocalAws {

    protected LocalAwsServer server;
    private final List<FargateTaskEnvironment> envs = new ArrayList<>();

    @AfterEach
    void closeEnvironmentsAndServer() {
        envs.forEach(FargateTaskEnvironment::close);
        envs.clear();
        if (server != null) {
            server.close();
        }
    }

    /** Builds an environment that is closed after the test. */
    protected FargateTaskEnvironment env(FargateTaskEnvironment.Builder b) {
        FargateTaskEnvironment e = b.build();
        envs.add(e);
        return e;
    }
}
