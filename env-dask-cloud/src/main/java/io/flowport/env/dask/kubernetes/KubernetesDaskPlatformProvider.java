package io.flowport.env.dask.kubernetes;

import io.flowport.env.dask.DaskSecurity;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskPlatformProvider;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Makes {@link KubernetesDaskPlatform}s: {@code providerClass: kubernetes}. Loads without fabric8 (no fabric8 type
 * in its signatures) and then says, through {@link #missing()}, which artifacts to add.
 */
public final class KubernetesDaskPlatformProvider implements DaskPlatformProvider {

    /** The name users give as {@code providerClass}. */
    public static final String NAME = "kubernetes";
    /** What to add when fabric8 or flowport-env-kubernetes is missing. */
    static final String ARTIFACTS = "add the dependencies io.flowport:flowport-env-kubernetes and"
            + " io.fabric8:kubernetes-client (flowport-env-kubernetes brings fabric8's client unless you excluded it;"
            + " flowport-env-dask-cloud depends on both only optionally, so that local Dask needs neither)";

    /** A fabric8 {@code KubernetesClient} of the user's, or null; typed Object so that this class loads without fabric8. */
    private final Object client;
    private final RunReport report;
    private final String flowName;

    /** Found by {@link java.util.ServiceLoader}: clusters on the cluster fabric8's configuration discovery finds. */
    public KubernetesDaskPlatformProvider() {
        this(null, null, null);
    }

    KubernetesDaskPlatformProvider(Object client, RunReport report, String flowName) {
        this.client = client;
        this.report = report;
        this.flowName = flowName;
    }

    /** This provider for one run: what its platform sees goes into {@code report}. */
    KubernetesDaskPlatformProvider forRun(RunReport runReport, String flow) {
        return new KubernetesDaskPlatformProvider(client, runReport, flow);
    }

    @Override
    public Set<String> names() {
        return Set.of(NAME);
    }

    @Override
    public Optional<String> missing() {
        return available() ? Optional.empty() : Optional.of(ARTIFACTS);
    }

    /** Whether fabric8's client (API and implementation) and flowport-env-kubernetes can be loaded. */
    static boolean available() {
        ClassLoader loader = KubernetesDaskPlatformProvider.class.getClassLoader();
        for (String c : List.of("io.fabric8.kubernetes.client.KubernetesClient",
                "io.fabric8.kubernetes.client.impl.KubernetesClientImpl",
                "io.flowport.env.kubernetes.KubernetesJobEnvironment")) {
            try {
                Class.forName(c, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@inheritDoc}
     *
     * @throws io.flowport.core.ConfigurationException if public addresses are asked for: pods get private IPs only
     */
    @Override
    public DaskPlatform create(String name, Map<String, Object> settings, DaskSecurity security) {
        if (security.publicIp()) {
            throw new io.flowport.core.ConfigurationException("security.publicIp is not supported by the kubernetes"
                    + " Dask platform: its pods have private IPs only");
        }
        return KubernetesDaskPlatform.create(client, settings, report, flowName);
    }

    @Override
    public Set<String> knownSettings() {
        return PlatformSettings.KNOWN;
    }

    @Override
    public List<String> validate(Map<String, Object> settings) {
        List<String> problems = new ArrayList<>();
        PlatformSettings s = PlatformSettings.from(settings, problems);
        // the specs are read with fabric8's model: only when it is there (else missing() says what to add)
        if (problems.isEmpty() && available()) {
            PodTemplates.read(s, problems);
        }
        return problems;
    }

    /** See {@link DaskKubernetesEnvironment#deleteFinished(Duration, Clock)}. */
    List<String> deleteFinished(Map<String, Object> settings, Duration ttl, Duration startTimeout,
                                Duration maxLifetime, Clock clock) {
        try (KubernetesDaskPlatform platform = KubernetesDaskPlatform.create(client, settings, null, null)) {
            return platform.deleteFinished(ttl, startTimeout, maxLifetime, clock);
        }
    }
}
