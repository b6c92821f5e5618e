package io.flowport.storage.image.internal;

import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.api.CredentialRetriever;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.frontend.CredentialRetrieverFactory;
import io.flowport.core.ConfigurationException;
import io.flowport.core.FlowportException;
import io.flowport.core.spi.RegistryCredentials;
import io.flowport.core.spi.RegistryCredentialSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The credentials chain for one registry: explicit credentials, then pluggable {@link RegistryCredentialSource}s
 * that support the registry, then the Docker config file (its {@code auths}, {@code credHelpers} and
 * {@code credsStore}, read by Jib), then anonymous. Remembers which link answered for each registry, for error
 * messages. Never logs a credential. Not public API.
 */
public final class CredentialChain {

    private static final Logger LOG = LoggerFactory.getLogger(CredentialChain.class);

    private final List<RegistryCredentialSource> sources;
    private final Path dockerConfig;
    private final Consumer<LogEvent> jibLogger;
    private final Map<String, String> used = new ConcurrentHashMap<>();

    /**
     * @param sources      the pluggable sources, explicit ones first (see {@link #discover})
     * @param dockerConfig the Docker config file (need not exist)
     * @param jibLogger    where Jib's retrievers log
     */
    public CredentialChain(List<RegistryCredentialSource> sources, Path dockerConfig, Consumer<LogEvent> jibLogger) {
        this.sources = List.copyOf(sources);
        this.dockerConfig = dockerConfig;
        this.jibLogger = jibLogger;
    }

    /**
     * The sources listed in {@code META-INF/services} of {@code loader}, after the explicit ones.
     *
     * @throws ConfigurationException if two sources share an id, or one cannot be loaded
     */
    public static List<RegistryCredentialSource> discover(List<RegistryCredentialSource> explicit, ClassLoader loader) {
        Map<String, RegistryCredentialSource> byId = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (RegistryCredentialSource s : explicit) {
            add(s, "the builder", byId, problems);
        }
        try {
            for (RegistryCredentialSource s : ServiceLoader.load(RegistryCredentialSource.class, loader)) {
                if (explicit.stream().anyMatch(e -> e.getClass() == s.getClass())) {
                    continue; // the same source given explicitly: keep the configured instance
                }
                String from = origin(s.getClass());
                LOG.debug("registry credential source '{}' ({}) from {}", s.id(), s.getClass().getName(), from);
                add(s, from, byId, problems);
            }
        } catch (ServiceConfigurationError e) {
            problems.add("a registry credential source listed in META-INF/services/"
                    + RegistryCredentialSource.class.getName() + " cannot be loaded: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("registry credential sources", problems);
        }
        return List.copyOf(byId.values());
    }

    private static void add(RegistryCredentialSource s, String from, Map<String, RegistryCredentialSource> byId,
                            List<String> problems) {
        String id = s.id();
        if (id == null || id.isBlank()) {
            problems.add(s.getClass().getName() + " (from " + from + ") has a blank id()");
            return;
        }
        RegistryCredentialSource previous = byId.putIfAbsent(id, s);
        if (previous != null) {
            problems.add("id '" + id + "' is used by both " + previous.getClass().getName() + " and "
                    + s.getClass().getName() + " (from " + from + "); ids must be unique");
        }
    }

    private static String origin(Class<?> type) {
        CodeSource cs = type.getProtectionDomain().getCodeSource();
        return cs == null || cs.getLocation() == null ? "(unknown location)" : cs.getLocation().toString();
    }

    /** {@code $DOCKER_CONFIG/config.json} if the variable is set, else {@code ~/.docker/config.json}. */
    public static Path defaultDockerConfig(Map<String, String> env) {
        String dir = env.get("DOCKER_CONFIG");
        if (dir != null && !dir.isBlank()) {
            return Paths.get(dir, "config.json");
        }
        return Paths.get(System.getProperty("user.home"), ".docker", "config.json");
    }

    /**
     * The retrievers for {@code image}'s registry, in the order they are asked.
     *
     * @param explicit credentials given for this registry, or null
     */
    public List<CredentialRetriever> retrievers(ImageReference image, RegistryCredentials explicit) {
        String registry = image.getRegistry();
        List<CredentialRetriever> out = new ArrayList<>();
        if (explicit != null) {
            out.add(recording(registry, "explicit credentials (user '" + explicit.username() + "')",
                    () -> Optional.of(Credential.from(explicit.username(), explicit.password()))));
        }
        for (RegistryCredentialSource s : applicable(registry)) {
            out.add(recording(registry, "credential source '" + s.id() + "'", () -> {
                Optional<RegistryCredentials> c;
                try {
                    c = s.credentials(registry);
                } catch (FlowportException e) {
                    throw new FlowportException("credential source '" + s.id() + "' failed for registry " + registry
                            + ": " + e.getMessage(), e);
                }
                return c == null ? Optional.empty() : c.map(rc -> Credential.from(rc.username(), rc.password()));
            }));
        }
        CredentialRetriever docker = CredentialRetrieverFactory.forImage(image, jibLogger).dockerConfig(dockerConfig);
        out.add(recording(registry, "Docker config " + dockerConfig, docker));
        return out;
    }

    /** The sources that support {@code registry}, in the order they are asked. */
    public List<RegistryCredentialSource> applicable(String registry) {
        return sources.stream().filter(s -> s.supports(registry))
                .sorted(Comparator.comparingInt(RegistryCredentialSource::priority).reversed()
                        .thenComparing(RegistryCredentialSource::id))
                .toList();
    }

    /**
     * Which link of the chain gave the credentials used for {@code registry}, or {@code "no credentials
     * (anonymous)"} when none did.
     */
    public String describeUsed(String registry) {
        return used.getOrDefault(registry, "no credentials (anonymous)");
    }

    private CredentialRetriever recording(String registry, String description, CredentialRetriever delegate) {
        return () -> {
            Optional<Credential> c = delegate.retrieve();
            if (c.isPresent()) {
                used.putIfAbsent(registry, description);
                LOG.debug("credentials for registry {} from {}", registry, description);
            }
            return c;
        };
    }
}
