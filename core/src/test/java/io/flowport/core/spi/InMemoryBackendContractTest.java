package io.flowport.core.spi;

/** The contract kit run against the in-memory backend, which proves the kit and the lifecycle together. */
class InMemoryBackendContractTest extends BackendContractTest {

    private InMemoryBackend memory;

    @Override
    protected Backend createBackend() {
        memory = new InMemoryBackend();
        return memory;
    }

    @Override
    protected void start(Launch launch) {
        memory.start(launch);
    }

    @Override
    protected void exit(Launch launch, int exitCode) {
        memory.exit(launch, exitCode);
    }

    @Override
    protected void failToStart(Launch launch, String reason) {
        memory.failToStart(launch, reason);
    }
}
