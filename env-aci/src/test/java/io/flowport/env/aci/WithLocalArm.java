package io.flowport.env.aci;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/** Tests against a fresh {@link LocalArmServer}; environments built with {@link #env} are closed after each test. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
abstract class WithLocalArm {

    protected LocalArmServer server;
    private final List<ContainerInstanceEnvironment> envs = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = new LocalArmServer();
    }

    @AfterEach
    void closeEnvironmentsAndServer() {
        envs.forEach(ContainerInstanceEnvironment::close);
        envs.clear();
        server.close();
    }

    /** Builds an environment that is closed after the test. */
    protected ContainerInstanceEnvironment env(ContainerInstanceEnvironment.Builder b) {
        ContainerInstanceEnvironment e = b.build();
        envs.add(e);
        return e;
    }

    /** A command flow like the ones the server simulates ({@code sh -c "echo …; exit N"}). */
    protected static Flow shell(String name, String script) {
        return Flow.command(name, io.flowport.core.CommandSpec.of("sh", "-c", script));
    }

    /** Waits until the run's container group exists on the server and returns its name. */
    protected String awaitGroup(ContainerInstanceEnvironment env, FlowRun run) {
        String name = env.groupNameFor(run.id());
        await().atMost(20, TimeUnit.SECONDS).until(() -> server.groupNames().contains(name));
        return name;
    }
}
