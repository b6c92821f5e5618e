package io.flowport.env.aci;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Serialization;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What is serialized, what never is, and the round trip through the {@code aci-container-group} type. */
@org.junit.jupiter.api.Timeout(value = 30, unit = java.util.concurrent.TimeUnit.SECONDS)
class AciSerializationTest {

    private static final String LITERAL_SECRET = "literal-secure-value-never-serialized";
    private static final String TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.token-never-serialized";

    static final TokenCredential CREDENTIAL = new TokenCredential() {
        @Override
        public Mono<AccessToken> getToken(com.azure.core.credential.TokenRequestContext request) {
            return Mono.just(new AccessToken(TOKEN, OffsetDateTime.now().plusHours(1)));
        }

        @Override
        public String toString() {
            return "CREDENTIAL(" + TOKEN + ")";
        }
    };

    static ContainerInstanceEnvironment full() {
        return Fixtures.base()
                .tenantId("contoso.onmicrosoft.com")
                .containerName("runner").groupNamePrefix("etl")
                .cpu(2).memoryInGb(3.5).osType("Linux")
                .subnetIds(List.of("/subscriptions/" + LocalArmServer.SUBSCRIPTION + "/resourceGroups/net/providers/"
                        + "Microsoft.Network/virtualNetworks/vnet/subnets/aci"))
                .dnsConfig(new DnsConfig(List.of("10.0.0.4"), "corp.example", "ndots:2"))
                .systemAssignedIdentity(true).userAssignedIdentity(Fixtures.IDENTITY)
                .imageRegistryCredential(RegistryCredential.managedIdentity("flowsregistry.azurecr.io", Fixtures.IDENTITY))
                .imageRegistryCredential(RegistryCredential.password("ghcr.io", "bot", "env:REGISTRY_TOKEN"))
                .environmentVariable("MODE", "prod")
                .secureEnvironmentVariableFrom("DB_PASSWORD", "env:DB_PASSWORD")
                .secureEnvironmentVariable("API_KEY", LITERAL_SECRET)
                .tag("team", "data").keepContainerGroup(true)
                .runnerCommand(List.of("java", "-jar", "/app.jar"))
                .cloud("AZURE").resourceManagerEndpoint(URI.create("https://arm.azurestack.local"))
                .requestTimeout(Duration.ofSeconds(12)).sdkMaxRetries(4).readsPerSecond(5).launchesPerSecond(2)
                .deleteTimeout(Duration.ofMinutes(3)).lroPollInterval(Duration.ofSeconds(3))
                .credential(CREDENTIAL)
                .labels("azure").metadata("job_profile", "small")
                .onStart(info -> { }).onExit((info, result) -> { })
                .build();
    }

    @Test
    void secretsCredentialsAndCallbacksAreNeverSerialized() {
        String json = Serialization.toJson(full());
        assertThat(json).doesNotContain(LITERAL_SECRET).doesNotContain(TOKEN).doesNotContain(Fixtures.SECRET)
                .doesNotContain(Fixtures.REGISTRY_SECRET).doesNotContain("API_KEY")
                .doesNotContainIgnoringCase("credential\"").doesNotContain("systemEnvironment")
                .doesNotContain("onStart").doesNotContain("onExit")
                .contains("\"DB_PASSWORD\":\"env:DB_PASSWORD\"").contains("env:REGISTRY_TOKEN");
    }

    @Test
    void exactlyTheDocumentedSettingsAreSerialized() throws Exception {
        JsonNode node = new ObjectMapper().readTree(Serialization.toJson(full()));
        List<String> fields = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            fields.add(it.next());
        }
        assertThat(fields).containsExactlyInAnyOrder("type", "labels", "metadata", "executor", "subscriptionId",
                "tenantId", "resourceGroup", "location", "image", "containerName", "groupNamePrefix", "cpu",
                "memoryInGb", "osType", "restartPolicy", "subnetIds", "dnsConfig", "systemAssignedIdentity",
                "userAssignedIdentities", "imageRegistryCredentials", "environmentVariables",
                "secureEnvironmentVariables", "tags", "keepContainerGroup", "runnerCommand", "cloud",
                "resourceManagerEndpoint", "requestTimeout", "sdkMaxRetries", "readsPerSecond", "launchesPerSecond",
                "deleteTimeout", "lroPollInterval");
        assertThat(node.get("type").asText()).isEqualTo("aci-container-group");
    }

    @Test
    void roundTripKeepsEverySerializedSetting() {
        ContainerInstanceEnvironment original = full();
        Environment read = Serialization.environmentFromJson(Serialization.toJson(original));
        assertThat(read).isInstanceOf(ContainerInstanceEnvironment.class);
        ContainerInstanceEnvironment e = (ContainerInstanceEnvironment) read;
        assertThat(e.imageRegistryCredentials()).isEqualTo(original.imageRegistryCredentials());
        assertThat(e.dnsConfig()).isEqualTo(original.dnsConfig());
        assertThat(e.secureEnvironmentVariables()).isEqualTo(Map.of("DB_PASSWORD", "env:DB_PASSWORD"));
        assertThat(e.secureValues()).as("literal secure values stay in the process that set them").isEmpty();
        assertThat(e.credential()).isNull();
        assertThat(e.requestTimeout()).isEqualTo(Duration.ofSeconds(12));
        assertThat(e.memoryInGb()).isEqualTo(3.5);
        assertThat(Serialization.toJson(e)).isEqualTo(Serialization.toJson(original));
    }

    @Test
    void yamlReads() {
        String yaml = """
                type: aci-container-group
                subscriptionId: 00000000-0000-0000-0000-0000000000a1
                resourceGroup: flows
                location: westeurope
                image: flowsregistry.azurecr.io/flows:1.4
                cpu: 1
                memoryInGb: 2
                gpu: {count: 1, sku: V100}
                restartPolicy: Never
                userAssignedIdentities:
                  - /subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/flows
                imageRegistryCredentials:
                  - server: flowsregistry.azurecr.io
                    identity: /subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/flows
                environmentVariables: {MODE: prod}
                secureEnvironmentVariables: {DB_PASSWORD: "env:DB_PASSWORD"}
                labels: [azure]
                """;
        ContainerInstanceEnvironment e = (ContainerInstanceEnvironment) Serialization.environmentFromYaml(yaml);
        assertThat(e.gpu()).isEqualTo(Gpu.of(1, "V100"));
        assertThat(e.imageRegistryCredentials().get(0).usesIdentity()).isTrue();
        assertThat(e.labels()).containsExactly("azure");
    }

    @Test
    void unknownFieldsAreRejected() {
        assertThatThrownBy(() -> Serialization.environmentFromYaml("""
                type: aci-container-group
                resourceGroup: flows
                memoryGb: 2
                """)).isInstanceOf(ConfigurationException.class).hasMessageContaining("memoryGb");
        assertThatThrownBy(() -> Serialization.environmentFromJson("{\"type\":\"aci-container-group\","
                + "\"imageRegistryCredentials\":[{\"server\":\"ghcr.io\",\"password\":\"x\"}]}"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("password");
        assertThatThrownBy(() -> Serialization.environmentFromJson("{\"type\":\"aci-container-group\","
                + "\"gpu\":{\"count\":1,\"sku\":\"V100\",\"cores\":2}}"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("cores");
    }

    @Test
    void toStringShowsNoSecret() {
        String s = full().toString();
        assertThat(s).doesNotContain(LITERAL_SECRET).doesNotContain(TOKEN).doesNotContain(Fixtures.SECRET)
                .contains("API_KEY").contains("****");
    }

    @Test
    void theTypeIsRegisteredThroughServiceLoader() {
        assertThat(Serialization.environmentTypes()).contains("aci-container-group");
        assertThat(full().type()).isEqualTo("aci-container-group");
    }
}
