package io.flowport.env.aci;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.StateType;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Launch;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Setup checks what only Azure knows before anything is created (the location's capabilities, the resource
 * group, the role); long-running operations poll at ARM's Retry-After, else at {@code lroPollInterval}, and stop
 * at their deadline.
 */
class AciPrepareAndLroTest extends WithLocalArm {

    private static final Flow FLOW = Flow.command("prep", io.flowport.core.CommandSpec.of("sh", "-c", "echo ok"));

    @Test
    void aLocationThatCannotGiveWhatIsAskedIsReportedBeforeAnythingIsCreated() {
        server.capabilities(List.of(LocalArmServer.capability("Linux", "None", 2, 8, 0)));
        ContainerInstanceEnvironment env = env(Fixtures.env(server).cpu(4).memoryInGb(12));
        assertThatThrownBy(() -> env.setup(FLOW)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("cpu: location westeurope offers at most 2.0 vCPUs")
                .hasMessageContaining("memoryInGb: location westeurope offers at most 8.0 GB");
        FlowRunResult r = env.execute(FLOW, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(server.calls("Put")).isZero();
    }

    @Test
    void aGpuTheLocationDoesNotOfferIsReported() {
        server.capabilities(List.of(LocalArmServer.capability("Linux", "None", 4, 16, 0)));
        ContainerInstanceEnvironment env = env(Fixtures.env(server).gpu(Gpu.of(1, "V100")));
        assertThatThrownBy(() -> env.setup(FLOW)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("offers no Linux container groups with V100 GPUs")
                .hasMessageContaining("Linux/None");
    }

    @Test
    void anUnknownLocationIsReported() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).location("marsnorth"));
        assertThatThrownBy(() -> env.setup(FLOW)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'marsnorth' does not offer Azure Container Instances");
    }

    @Test
    void aMissingResourceGroupIsReportedWithTheFix() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).resourceGroup("nope"));
        assertThatThrownBy(() -> env.setup(FLOW)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("ResourceGroupNotFound").hasMessageContaining("create the resource group");
        assertThat(server.calls("Capabilities")).isZero();
    }

    @Test
    void setupChecksOncePerEnvironmentAndCreatesNothing() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        env.setup(FLOW);
        env.setup(FLOW);
        env.setup(Flow.command("other", io.flowport.core.CommandSpec.of("true")));
        assertThat(server.calls("List")).isEqualTo(1);
        assertThat(server.calls("Capabilities")).isEqualTo(1);
        assertThat(server.calls("Put")).isZero();
    }

    private Launch launched(ContainerInstanceEnvironment env) {
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(10));
        FlowRun run = FlowRun.create();
        env.execute(FLOW, run);
        String name = env.groupNameFor(run.id());
        return new Launch(name, run.id(), Map.of(), Instant.now());
    }

    @Test
    void deletesPollAtArmsRetryAfter() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).keepContainerGroup(true)
                .lroPollInterval(Duration.ofMillis(50)));
        Launch l = launched(env);
        server.lroRetryAfter(1);
        server.deleteDuration(Duration.ofMillis(1500));
        env.backend().delete(l);
        List<LocalArmServer.Call> calls = server.callLog().stream()
                .filter(c -> c.operation().equals("Delete") || c.operation().equals("OperationResult")).toList();
        assertThat(calls).hasSizeBetween(3, 4);
        for (int i = 1; i < calls.size(); i++) {
            assertThat(Duration.ofNanos(calls.get(i).nanos() - calls.get(i - 1).nanos()))
                    .as("gap before poll %d", i).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        }
        assertThat(server.groupNames()).isEmpty();
    }

    @Test
    void withoutRetryAfterDeletesPollAtTheConfiguredIntervalNotTheSdks30Seconds() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).keepContainerGroup(true)
                .lroPollInterval(Duration.ofMillis(200)));
        Launch l = launched(env);
        server.deleteDuration(Duration.ofMillis(700));
        long start = System.nanoTime();
        env.backend().delete(l);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isBetween(Duration.ofMillis(600), Duration.ofSeconds(5));
        assertThat(server.calls("OperationResult")).isBetween(3, 6);
        assertThat(server.groupNames()).isEmpty();
    }

    @Test
    void aDeleteStopsWaitingAtItsDeadline() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).keepContainerGroup(true)
                .lroPollInterval(Duration.ofMillis(100)).deleteTimeout(Duration.ofMillis(500)));
        Launch l = launched(env);
        server.deleteDuration(Duration.ofMinutes(5));
        long start = System.nanoTime();
        assertThatThrownBy(() -> env.backend().delete(l)).isInstanceOf(TransientException.class)
                .hasMessageContaining("did not finish within PT0.5S");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(server.state(l.id())).startsWith("Deleting");
    }

    /**
     * The local server speaks the create's long-running operation as ARM does (201 + Azure-AsyncOperation, then
     * InProgress until provisioned): the SDK's own poller, wired exactly as the backend wires its clients, follows it
     * to Succeeded or Failed. The backend does not wait for it (provisioning is followed by its batched reads).
     */
    @Test
    void theSdksCreatePollerFollowsTheServersAsyncOperation() {
        server.lroRetryAfter(0);
        var profile = new com.azure.core.management.profile.AzureProfile(null, LocalArmServer.SUBSCRIPTION,
                ContainerInstanceBackend.azureEnvironment(Fixtures.env(server).build()));
        var pipeline = com.azure.resourcemanager.resources.fluentcore.utils.HttpPipelineProvider.buildHttpPipeline(
                null, profile, null, new com.azure.core.http.policy.HttpLogOptions(), null, null, null,
                new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder().build());
        var groups = com.azure.resourcemanager.containerinstance.ContainerInstanceManager
                .authenticate(pipeline, profile).serviceClient().getContainerGroups();
        var body = new com.azure.resourcemanager.containerinstance.fluent.models.ContainerGroupInner()
                .withContainers(List.of(new com.azure.resourcemanager.containerinstance.models.Container()
                        .withName("flow").withImage("img")
                        .withResources(new com.azure.resourcemanager.containerinstance.models.ResourceRequirements()
                                .withRequests(new com.azure.resourcemanager.containerinstance.models.ResourceRequests()
                                        .withCpu(1).withMemoryInGB(1)))))
                .withOsType(com.azure.resourcemanager.containerinstance.models.OperatingSystemTypes.LINUX);
        body.withLocation(LocalArmServer.LOCATION);

        var ok = groups.beginCreateOrUpdate(LocalArmServer.RESOURCE_GROUP, "sdk-poller-ok", body)
                .setPollInterval(Duration.ofMillis(50));
        server.start("sdk-poller-ok");
        assertThat(ok.waitForCompletion(Duration.ofSeconds(20)).getStatus())
                .isEqualTo(com.azure.core.util.polling.LongRunningOperationStatus.SUCCESSFULLY_COMPLETED);
        assertThat(ok.getFinalResult().provisioningState()).isEqualTo("Succeeded");

        var failing = groups.beginCreateOrUpdate(LocalArmServer.RESOURCE_GROUP, "sdk-poller-failed", body)
                .setPollInterval(Duration.ofMillis(50));
        server.failToStart("sdk-poller-failed", "Failed to pull image img");
        assertThat(failing.waitForCompletion(Duration.ofSeconds(20)).getStatus())
                .isEqualTo(com.azure.core.util.polling.LongRunningOperationStatus.FAILED);
        assertThat(server.calls("AsyncOperation")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void deletingAGroupThatIsGoneDoesNothing() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        env.backend().delete(new Launch("flowport-gone", "gone", Map.of(), Instant.now()));
        env.backend().stop(new Launch("flowport-gone", "gone", Map.of(), Instant.now()), "test");
        assertThat(server.calls("Delete")).isEqualTo(1);
        assertThat(server.calls("Stop")).isEqualTo(1);
    }
}
