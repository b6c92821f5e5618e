package io.flowport.env.aci;

import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.spi.BackendLifecycle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every setting is checked before any call, and all problems are reported at once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AciValidationTest {

    private static final Flow FLOW = Flow.command("etl", CommandSpec.of("sh", "-c", "echo hi"));
    private LocalArmServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = new LocalArmServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private static List<String> problems(ContainerInstanceEnvironment e) {
        return AciValidation.problems(e, FLOW);
    }

    @Test
    void aValidEnvironmentHasNoProblems() {
        assertThat(problems(Fixtures.base().build())).isEmpty();
        assertThat(problems(Fixtures.base()
                .cpu(4).memoryInGb(16)
                .subnetId("/subscriptions/" + LocalArmServer.SUBSCRIPTION + "/resourceGroups/net/providers/"
                        + "Microsoft.Network/virtualNetworks/vnet/subnets/aci")
                .dnsConfig(new DnsConfig(List.of("10.0.0.4", "fd00::4"), "corp.example", "ndots:2"))
                .userAssignedIdentity(Fixtures.IDENTITY).systemAssignedIdentity(true)
                .imageRegistryCredential(RegistryCredential.managedIdentity("flowsregistry.azurecr.io", Fixtures.IDENTITY))
                .imageRegistryCredential(RegistryCredential.password("ghcr.io", "bot", "env:REGISTRY_TOKEN"))
                .environmentVariable("MODE", "prod")
                .secureEnvironmentVariableFrom("DB_PASSWORD", "env:DB_PASSWORD")
                .secureEnvironmentVariable("API_KEY", "value")
                .tag("team", "data")
                .build())).isEmpty();
        assertThat(problems(Fixtures.base().gpu(Gpu.of(2, "V100")).cpu(12).memoryInGb(224).build())).isEmpty();
    }

    @Test
    void badInputIsRejectedWithEveryProblemAtOnceAndNoCallToAzure() {
        ContainerInstanceEnvironment bad = ContainerInstanceEnvironment.builder()
                .systemEnvironment(Map.of())
                .resourceManagerEndpoint(server.endpoint())
                .subscriptionId("not-a-guid")
                .resourceGroup("bad/group.")
                .location("West Europe")
                .containerName("Flow_Container")
                .groupNamePrefix("-prefix")
                .cpu(5.25).memoryInGb(0)
                .gpu(Gpu.of(3, "K80"))
                .osType("Windows")
                .restartPolicy("OnFailure")
                .subnetId("subnet-123")
                .dnsConfig(DnsConfig.of("dns.example"))
                .userAssignedIdentity("/subscriptions/x/identities/y")
                .imageRegistryCredential(RegistryCredential.managedIdentity("docker.io", Fixtures.IDENTITY))
                .imageRegistryCredential(RegistryCredential.password("ghcr.io", "bot", "hunter2"))
                .imageRegistryCredential(new RegistryCredential("quay.io", null, "bot", null))
                .environmentVariable("FLOWPORT__PARAMETERS", "{}")
                .secureEnvironmentVariableFrom("DB_PASSWORD", "env:NOT_SET")
                .tag("bad/name", "v").tag("flowport.io_x", "v")
                .sdkMaxRetries(11).readsPerSecond(0).requestTimeout(Duration.ZERO)
                .build();
        FlowRun run = FlowRun.create();
        assertThatThrownBy(() -> bad.execute(FLOW, run))
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> {
                    List<String> p = ((ConfigurationException) e).problems();
                    assertThat(p).anyMatch(s -> s.startsWith("subscriptionId:") && s.contains("GUID"))
                            .anyMatch(s -> s.startsWith("resourceGroup:"))
                            .anyMatch(s -> s.startsWith("location:") && s.contains("'westeurope'"))
                            .anyMatch(s -> s.startsWith("image: missing"))
                            .anyMatch(s -> s.startsWith("containerName:"))
                            .anyMatch(s -> s.startsWith("groupNamePrefix:"))
                            .anyMatch(s -> s.startsWith("restartPolicy:") && s.contains("Never"))
                            .anyMatch(s -> s.startsWith("gpu.sku: K80") && s.contains("V100"))
                            .anyMatch(s -> s.startsWith("gpu.count:"))
                            .anyMatch(s -> s.startsWith("gpu:") && s.contains("Linux"))
                            .anyMatch(s -> s.startsWith("gpu:") && s.contains("virtual network"))
                            .anyMatch(s -> s.startsWith("cpu:") && s.contains("decimal place"))
                            .anyMatch(s -> s.startsWith("memoryInGb:") && s.contains("more than 0"))
                            .anyMatch(s -> s.startsWith("subnetIds:"))
                            .anyMatch(s -> s.startsWith("dnsConfig.nameServers:"))
                            .anyMatch(s -> s.startsWith("userAssignedIdentities:"))
                            .anyMatch(s -> s.startsWith("imageRegistryCredentials[0].identity:")
                                    && s.contains("userAssignedIdentities"))
                            .anyMatch(s -> s.startsWith("imageRegistryCredentials[0].identity:")
                                    && s.contains("Azure Container Registry"))
                            .anyMatch(s -> s.startsWith("imageRegistryCredentials[1].passwordSecret:")
                                    && s.contains("not a secret reference"))
                            .anyMatch(s -> s.startsWith("imageRegistryCredentials[2].passwordSecret:"))
                            .anyMatch(s -> s.contains("FLOWPORT__PARAMETERS is set by Flowport"))
                            .anyMatch(s -> s.contains("NOT_SET") && s.contains("not set in this process"))
                            .anyMatch(s -> s.startsWith("tags: name 'bad/name'"))
                            .anyMatch(s -> s.startsWith("tags: name 'flowport.io_x'"))
                            .anyMatch(s -> s.startsWith("sdkMaxRetries:"))
                            .anyMatch(s -> s.startsWith("readsPerSecond:"))
                            .anyMatch(s -> s.startsWith("requestTimeout:"));
                    // a password written where its reference belongs is not repeated back
                    assertThat(e.getMessage()).doesNotContain("hunter2");
                });
        assertThat(server.totalCalls()).as("calls made to Azure before validation failed").isZero();
    }

    @Test
    void setupAndSubmitValidateBeforeAnyCallToo() {
        ContainerInstanceEnvironment bad = Fixtures.env(server).cpu(0.05).image(" ").build();
        assertThatThrownBy(() -> bad.setup(FLOW)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> bad.submit(FLOW, FlowRun.create())).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("cpu:").hasMessageContaining("image:");
        assertThat(server.totalCalls()).isZero();
    }

    @Test
    void limitsDependOnTheGpu() {
        assertThat(problems(Fixtures.base().cpu(4.5).build())).anyMatch(s -> s.contains("(4)"));
        assertThat(problems(Fixtures.base().memoryInGb(16.5).build())).anyMatch(s -> s.contains("(16)"));
        assertThat(problems(Fixtures.base().gpu(Gpu.of(1, "V100")).cpu(6).memoryInGb(112).build())).isEmpty();
        assertThat(problems(Fixtures.base().gpu(Gpu.of(1, "v100")).cpu(6.5).build()))
                .anyMatch(s -> s.startsWith("cpu:") && s.contains("1 GPU(s)") && s.contains("(6)"));
        assertThat(problems(Fixtures.base().gpu(Gpu.of(1, "P100")).build()))
                .anyMatch(s -> s.contains("retired"));
        assertThat(problems(Fixtures.base().gpu(Gpu.of(1, "A100")).build()))
                .anyMatch(s -> s.contains("not a GPU of Azure Container Instances"));
    }

    @Test
    void theSubscriptionAndOtherDefaultsComeFromVariables() {
        ContainerInstanceEnvironment e = ContainerInstanceEnvironment.builder()
                .systemEnvironment(Map.of("AZURE_SUBSCRIPTION_ID", LocalArmServer.SUBSCRIPTION,
                        "FLOWPORT_ACI_RESOURCE_GROUP", "flows", "FLOWPORT_ACI_LOCATION", "northeurope",
                        "FLOWPORT_ACI_IMAGE", "ghcr.io/acme/flows:2", "FLOWPORT_ACI_CPU", "2",
                        "FLOWPORT_ACI_MEMORY_IN_GB", "4"))
                .build();
        assertThat(e.subscriptionId()).isEqualTo(LocalArmServer.SUBSCRIPTION);
        assertThat(e.resourceGroup()).isEqualTo("flows");
        assertThat(e.location()).isEqualTo("northeurope");
        assertThat(e.image()).isEqualTo("ghcr.io/acme/flows:2");
        assertThat(e.cpu()).isEqualTo(2.0);
        assertThat(e.memoryInGb()).isEqualTo(4.0);
        assertThat(problems(e)).isEmpty();

        ContainerInstanceEnvironment set = ContainerInstanceEnvironment.builder()
                .systemEnvironment(Map.of("AZURE_SUBSCRIPTION_ID", LocalArmServer.SUBSCRIPTION,
                        "FLOWPORT_ACI_CPU", "two"))
                .subscriptionId("11111111-1111-1111-1111-111111111111").resourceGroup("g").location("eastus")
                .image("i").build();
        assertThat(set.subscriptionId()).as("a setting wins over its variable")
                .isEqualTo("11111111-1111-1111-1111-111111111111");
        assertThat(problems(set)).containsExactly("FLOWPORT_ACI_CPU: 'two' is not a number");

        assertThat(problems(ContainerInstanceEnvironment.builder().systemEnvironment(Map.of())
                .resourceGroup("g").location("eastus").image("i").build()))
                .containsExactly("subscriptionId: missing; set subscriptionId or the AZURE_SUBSCRIPTION_ID "
                        + "environment variable");
    }

    @Test
    void plainHttpIsForTheLoopbackInterfaceOnlyAndNeverCarriesACredential() {
        assertThat(problems(Fixtures.base().resourceManagerEndpoint(URI.create("http://management.example.com"))
                .build())).anyMatch(s -> s.startsWith("resourceManagerEndpoint:") && s.contains("loopback"));
        assertThat(problems(Fixtures.base().resourceManagerEndpoint(URI.create("http://127.0.0.1:8080")).build()))
                .isEmpty();
        assertThat(problems(Fixtures.base().resourceManagerEndpoint(URI.create("http://localhost:8080"))
                .credential(request -> null).build()))
                .anyMatch(s -> s.startsWith("credential:"));
        assertThat(problems(Fixtures.base().resourceManagerEndpoint(URI.create("https://arm.azurestack.local"))
                .build())).isEmpty();
        assertThat(problems(Fixtures.base().cloud("AZURE_MARS").build())).anyMatch(s -> s.startsWith("cloud:"));
    }

    @Test
    void secretReferencesMustResolveHere(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("token");
        java.nio.file.Files.writeString(file, "from-file\n");
        ContainerInstanceEnvironment ok = Fixtures.base()
                .secureEnvironmentVariableFrom("TOKEN", "file:" + file).build();
        assertThat(problems(ok)).isEmpty();
        assertThat(SecretReferences.resolve("file:" + file, Map.of())).isEqualTo("from-file");
        assertThat(problems(Fixtures.base().secureEnvironmentVariableFrom("TOKEN", "file:" + dir.resolve("missing"))
                .build())).anyMatch(s -> s.contains("does not exist"));
        assertThat(problems(Fixtures.base().secureEnvironmentVariableFrom("TOKEN", "file:relative/path").build()))
                .anyMatch(s -> s.contains("absolute"));
        assertThat(problems(Fixtures.base().environmentVariable("DB_PASSWORD", "x")
                .secureEnvironmentVariableFrom("DB_PASSWORD", "env:DB_PASSWORD").build()))
                .anyMatch(s -> s.contains("set twice"));
    }

    @Test
    void groupNamesAreValidForAzureAndStablePerRun() {
        String uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assertThat(AciNames.groupName("flowport", uuid)).isEqualTo("flowport-" + uuid);
        for (String id : List.of("Run_42", "a--b", "UPPER", "x".repeat(200), "-leading", "ünïcödé", "...")) {
            String name = AciNames.groupName("flowport", id);
            assertThat(AciNames.isDnsLabel(name)).as("%s -> %s", id, name).isTrue();
            assertThat(name).hasSizeLessThanOrEqualTo(63).isEqualTo(AciNames.groupName("flowport", id));
        }
        assertThat(AciNames.groupName("flowport", "Run_42")).isNotEqualTo(AciNames.groupName("flowport", "run-42"));
        assertThat(AciNames.groupName("p".repeat(40), uuid)).hasSizeLessThanOrEqualTo(63);
        assertThat(AciNames.isResourceGroup("rg.with(parens)_and-hyphens")).isTrue();
        assertThat(AciNames.isResourceGroup("ends.")).isFalse();
    }

    @Test
    void lifecycleTuningIsNotASettingOfTheDocument() {
        BackendLifecycle.Settings s = BackendLifecycle.Settings.defaults();
        ContainerInstanceEnvironment e = Fixtures.base().lifecycleSettings(s).build();
        assertThat(io.flowport.core.Serialization.toJson(e)).doesNotContain("lifecycle");
    }
}
