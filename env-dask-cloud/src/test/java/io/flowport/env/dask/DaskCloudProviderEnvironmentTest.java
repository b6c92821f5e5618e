package io.flowport.env.dask;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.Serialization;
import io.flowport.core.CommandSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings, validation and serialization, without starting anything. */
class DaskCloudProviderEnvironmentTest {

    @Test
    void serializesEverySettingButCallbacksAndReadsBackFromJsonAndYaml() {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .providerClass("local")
                .adaptiveMinWorkers(1).adaptiveMaxWorkers(4)
                .security(new DaskSecurity(true, false))
                .executorKwargs(Map.of("concurrency", 32))
                .providerSettings(Map.of("workerThreads", 2, "environment", Map.of("MODE", "batch")))
                .idleTimeout(Duration.ofMinutes(3))
                .labels("dask")
                .metadata("team", "data")
                .onExecute((p, s) -> s.put("nWorkers", 2))
                .onStart(info -> { })
                .build();
        String json = Serialization.toJson(env);
        assertThat(json).startsWith("{\"type\":\"dask-cloud-provider\"")
                .contains("\"providerClass\":\"local\"", "\"adaptiveMinWorkers\":1", "\"adaptiveMaxWorkers\":4",
                        "\"concurrency\":32", "\"workerThreads\":2", "\"idleTimeout\":\"PT3M\"", "\"labels\":[\"dask\"]")
                .doesNotContain("onExecute", "onStart", "BEGIN");
        Environment back = Serialization.environmentFromJson(json);
        assertThat(Serialization.toJson(back)).isEqualTo(json);

        Environment yaml = Serialization.environmentFromYaml("""
                type: dask-cloud-provider
                providerClass: local
                adaptiveMinWorkers: 0
                adaptiveMaxWorkers: 3
                security: {tls: true}
                providerSettings:
                  workerMemoryLimit: 2GiB
                """);
        assertThat(((DaskCloudProviderEnvironment) yaml).adaptiveMaxWorkers()).isEqualTo(3);
        assertThat(((DaskCloudProviderEnvironment) yaml).security()).isEqualTo(DaskSecurity.DEFAULT);
    }

    @Test
    void securityIsOnByDefault() {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder().build();
        assertThat(env.security().tls()).isTrue();
        assertThat(env.security().publicIp()).isFalse();
        assertThat(env.providerClass()).isEqualTo("local");
    }

    @Test
    void everyProblemIsReportedAtOnceNamingTheField() {
        assertThatThrownBy(() -> DaskCloudProviderEnvironment.builder()
                .adaptiveMinWorkers(5).adaptiveMaxWorkers(2)
                .idleTimeout(Duration.ZERO)
                .executorKwargs(Map.of("treads", 2))
                .build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).hasSize(3))
                .hasMessageContaining("adaptiveMinWorkers (5) must be <= adaptiveMaxWorkers (2)")
                .hasMessageContaining("idleTimeout must be a positive duration")
                .hasMessageContaining("executorKwargs.treads is not a setting of the Dask executor");
    }

    @Test
    void providerSettingsAreCheckedBeforeAnythingStarts() {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .providerSettings(Map.of("nWorkers", 1.5, "workerMemoryLimit", "lots", "workerResources",
                        Map.of("GPU", -1)))
                .build();
        Flow flow = Flow.command("c", CommandSpec.of("true"));
        assertThatThrownBy(() -> env.setup(flow))
                .hasMessageContaining("providerSettings.nWorkers must be a whole number, was 1.5 (double)")
                .hasMessageContaining("providerSettings.workerMemoryLimit 'lots' is not a Dask memory limit")
                .hasMessageContaining("providerSettings.workerResources.GPU must be a positive number, was -1");
        assertThatThrownBy(() -> env.execute(flow, FlowRun.create())).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void aUsersOwnProviderClassMustBeAProvider() {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .providerClass("java.lang.String").build();
        assertThatThrownBy(() -> env.setup(Flow.command("c", CommandSpec.of("true"))))
                .hasMessageContaining("providerClass 'java.lang.String' does not implement "
                        + "io.flowport.env.dask.spi.DaskPlatformProvider");
    }

    @Test
    void theTlsMaterialNeverShowsItsKeys() {
        DaskTls tls = DaskTls.generate("c1", Duration.ofHours(1));
        assertThat(tls.toString()).startsWith("DaskTls[ca sha256 ").doesNotContain("PRIVATE");
        assertThat(tls.variables(DaskTls.Role.WORKER)).containsKeys("DASK_DISTRIBUTED__COMM__TLS__CA_FILE",
                "DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT", "DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY")
                .containsEntry("DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION", "True");
        assertThat(tls.variables(DaskTls.Role.WORKER).get("DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY"))
                .startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(tls.clientContext()).isNotNull();
        assertThatThrownBy(() -> DaskTls.client("ca.pem", "cert", null)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("ca must be PEM text").hasMessageContaining("clientKey must be PEM text");
    }

    @Test
    void theDaskExecutorRefusesNonsense() {
        assertThatThrownBy(() -> DaskExecutor.builder().address("10.0.0.1:8786").concurrency(0).build())
                .hasMessageContaining("address '10.0.0.1:8786' is not a Dask address; expected e.g."
                        + " tls://10.0.1.5:8786")
                .hasMessageContaining("concurrency must be >= 1");
    }

    @Test
    void aPrivateClusterOnEcsNeedsItsDriverInTheClustersNetworkOrSaysHowToRunItHere() {
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder().providerClass("fargate")
                .providerSettings(Map.of("image", "ghcr.io/dask/dask:2022.12.1", "subnets",
                        java.util.List.of("subnet-0123456789abcdef0"), "regionName", "us-east-1")).build();
        assertThatThrownBy(() -> env.setup(Flow.command("c", CommandSpec.of("true"))))
                .hasMessageContaining("providerSettings.driverImage is required to run the driver in the cluster's"
                        + " network").hasMessageContaining("or set driver: local");
        assertThatThrownBy(() -> DaskCloudProviderEnvironment.builder().driver("cloud").build())
                .hasMessageContaining("driver must be 'local'");
        DaskCloudProviderEnvironment local = DaskCloudProviderEnvironment.builder().driver("in-cluster").build();
        assertThatThrownBy(() -> local.setup(Flow.command("c", CommandSpec.of("true"))))
                .hasMessageContaining("driver: 'in-cluster' is not available for providerClass 'local'");
    }
}
