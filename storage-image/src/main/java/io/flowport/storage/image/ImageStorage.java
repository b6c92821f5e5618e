package io.flowport.storage.image;

import io.flowport.core.spi.RegistryCredentials;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.InvalidImageReferenceException;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.JibEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.Platform;
import io.flowport.core.AbstractStorage;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;
import io.flowport.core.FlowportException;
import io.flowport.core.RunnerSettings;
import io.flowport.core.internal.ClassPaths;
import io.flowport.core.internal.FlowLocator;
import io.flowport.storage.image.internal.BuildMonitor;
import io.flowport.storage.image.internal.CredentialChain;
import io.flowport.storage.image.internal.Failures;
import io.flowport.storage.image.internal.LayerPlan;
import io.flowport.storage.image.internal.Registries;
import io.flowport.core.spi.RegistryCredentialSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Flows whose code travels in a container image that this storage builds and pushes with Jib, without a Docker
 * daemon (type {@code image}).
 *
 * <p>{@link #addFlow(Flow)} records a flow (its location is the flow name, looked up at run time on the image's
 * class path as {@link io.flowport.core.ClasspathStorage} does; {@link #addFlows(FlowProvider)} records
 * {@code providerClass#flowName} locations, which need no {@code META-INF/services} entry). {@link #build()}
 * lays the application's class path out as image layers in Jib's layout (released jars, snapshot jars and the
 * project's own jars in {@code /app/libs} as three layers; non-class files in {@code /app/resources}; class
 * files in {@code /app/classes}; extra files on top), on top of a base image (by default
 * {@value #DEFAULT_BASE_IMAGE}), with the runner as entrypoint
 * ({@code java -cp /app/resources:/app/classes:/app/libs/* io.flowport.core.Runner}, the same as
 * {@link RunnerSettings#DEFAULT_CONTAINER_COMMAND}), pushes it, and returns a storage whose {@link #image()} is
 * the pushed image by digest ({@code registry/repository@sha256:...}). Environments run that image.
 *
 * <p>Serialized as {@code {"type":"image","image":"...","flows":{...},"registry":...}}: the image reference,
 * the flows and the image settings. Credentials, the credential sources, the Docker config path, the cache
 * directory and the class path are never serialized; {@link #toString()} masks passwords.
 *
 * <p>Instances are built with {@link #builder()}; the flows map is the only mutable part and is thread-safe.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public final class ImageStorage extends AbstractStorage {

    /** The base image used when none is given: a JRE 17 from Docker Hub. */
    public static final String DEFAULT_BASE_IMAGE = "eclipse-temurin:17-jre";
    /** The platform used when none is given. */
    public static final String DEFAULT_PLATFORM = "linux/amd64";
    /** The label that lists the names of the flows the image holds, comma-separated. */
    public static final String FLOWS_LABEL = "io.flowport.flows";
    /** {@code baseImage} value for an empty base image (only useful for tests: it has no JVM). */
    public static final String SCRATCH = "scratch";
    /** Prefix of a {@code baseImage} read from a local tar file ({@code docker save} or Jib's tar format). */
    public static final String TAR_PREFIX = "tar://";

    /** Environment variable for {@link Builder#registry(String)}. */
    public static final String ENV_REGISTRY = "FLOWPORT_IMAGE_REGISTRY";
    /** Environment variable for {@link Builder#repository(String)}. */
    public static final String ENV_REPOSITORY = "FLOWPORT_IMAGE_REPOSITORY";
    /** Environment variable for {@link Builder#tag(String)}. */
    public static final String ENV_TAG = "FLOWPORT_IMAGE_TAG";
    /** Environment variable for {@link Builder#baseImage(String)}. */
    public static final String ENV_BASE_IMAGE = "FLOWPORT_IMAGE_BASE_IMAGE";
    /** Environment variable for {@link Builder#platform(String)}. */
    public static final String ENV_PLATFORM = "FLOWPORT_IMAGE_PLATFORM";
    /** Environment variable for {@link Builder#allowInsecureRegistries(boolean)}. */
    public static final String ENV_ALLOW_INSECURE = "FLOWPORT_IMAGE_ALLOW_INSECURE_REGISTRIES";
    /** Environment variable for the user name of {@link Builder#credentials(String, String)}. */
    public static final String ENV_USERNAME = "FLOWPORT_IMAGE_USERNAME";
    /** Environment variable for the password of {@link Builder#credentials(String, String)}. */
    public static final String ENV_PASSWORD = "FLOWPORT_IMAGE_PASSWORD";
    /** Environment variable for the user name of {@link Builder#baseImageCredentials(String, String)}. */
    public static final String ENV_BASE_USERNAME = "FLOWPORT_IMAGE_BASE_IMAGE_USERNAME";
    /** Environment variable for the password of {@link Builder#baseImageCredentials(String, String)}. */
    public static final String ENV_BASE_PASSWORD = "FLOWPORT_IMAGE_BASE_IMAGE_PASSWORD";
    /** Environment variable for {@link Builder#dockerConfig(Path)}. */
    public static final String ENV_DOCKER_CONFIG = "FLOWPORT_IMAGE_DOCKER_CONFIG";
    /** Environment variable for {@link Builder#cacheDirectory(Path)}. */
    public static final String ENV_CACHE_DIRECTORY = "FLOWPORT_IMAGE_CACHE_DIRECTORY";

    private static final Logger LOG = LoggerFactory.getLogger(ImageStorage.class);
    private static final int CONTENT_TAG_LENGTH = 32;

    // serialized
    private final String registry;
    private final String repository;
    private final String tag;
    private final String baseImage;
    private final String platform;
    private final Map<String, String> environment;
    private final Map<String, String> labels;
    private final List<ExtraFile> extraFiles;
    private final boolean allowInsecureRegistries;
    private final String image;

    // never serialized
    private final String username;
    private final String password;
    private final String baseUsername;
    private final String basePassword;
    private final Path dockerConfig;
    private final List<RegistryCredentialSource> credentialSources;
    private final Path cacheDirectory;
    private final List<Path> classpath;
    private final Map<String, String> variables;
    private final List<String> builderProblems;
    private final ImageBuildReport report;

    private ImageStorage(Builder b) {
        super(b.flows);
        this.registry = b.registry;
        this.repository = b.repository;
        this.tag = b.tag;
        this.baseImage = b.baseImage != null ? b.baseImage : DEFAULT_BASE_IMAGE;
        this.platform = b.platform != null ? b.platform : DEFAULT_PLATFORM;
        this.environment = Collections.unmodifiableMap(new TreeMap<>(b.environment));
        this.labels = Collections.unmodifiableMap(new TreeMap<>(b.labels));
        this.extraFiles = List.copyOf(b.extraFiles);
        this.allowInsecureRegistries = b.allowInsecureRegistries;
        this.image = b.image;
        this.username = b.username;
        this.password = b.password;
        this.baseUsername = b.baseUsername;
        this.basePassword = b.basePassword;
        this.dockerConfig = b.dockerConfig;
        this.credentialSources = List.copyOf(b.credentialSources);
        this.cacheDirectory = b.cacheDirectory;
        this.classpath = b.classpath == null ? null : List.copyOf(b.classpath);
        this.variables = Map.copyOf(b.variables);
        this.builderProblems = List.copyOf(b.problems);
        this.report = b.report;
    }

    /** Reads a serialized storage (see {@link io.flowport.core.Serialization}). */
    @JsonCreator
    static ImageStorage fromJson(@JsonProperty("registry") String registry,
                                 @JsonProperty("repository") String repository,
                                 @JsonProperty("tag") String tag,
                                 @JsonProperty("baseImage") String baseImage,
                                 @JsonProperty("platform") String platform,
                                 @JsonProperty("environment") Map<String, String> environment,
                                 @JsonProperty("labels") Map<String, String> labels,
                                 @JsonProperty("extraFiles") List<ExtraFile> extraFiles,
                                 @JsonProperty("allowInsecureRegistries") Boolean allowInsecureRegistries,
                                 @JsonProperty("image") String image,
                                 @JsonProperty("flows") Map<String, String> flows) {
        Builder b = builder().registry(registry).repository(repository).tag(tag).baseImage(baseImage)
                .platform(platform).allowInsecureRegistries(Boolean.TRUE.equals(allowInsecureRegistries));
        if (environment != null) {
            b.environment(environment);
        }
        if (labels != null) {
            b.labels(labels);
        }
        if (extraFiles != null) {
            extraFiles.forEach(f -> b.extraFile(f.source(), f.target()));
        }
        b.image = image;
        if (flows != null) {
            b.flows.putAll(flows);
        }
        return b.build();
    }

    /** Starts a builder with no settings; nothing is read from the environment unless asked. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this storage's settings (including credentials and flows), to change some. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.registry = registry;
        b.repository = repository;
        b.tag = tag;
        b.baseImage = baseImage;
        b.platform = platform;
        b.environment.putAll(environment);
        b.labels.putAll(labels);
        b.extraFiles.addAll(extraFiles);
        b.allowInsecureRegistries = allowInsecureRegistries;
        b.image = image;
        b.flows.putAll(flows());
        b.username = username;
        b.password = password;
        b.baseUsername = baseUsername;
        b.basePassword = basePassword;
        b.dockerConfig = dockerConfig;
        b.credentialSources.addAll(credentialSources);
        b.cacheDirectory = cacheDirectory;
        b.classpath = classpath == null ? null : new ArrayList<>(classpath);
        b.variables = variables;
        b.problems.addAll(builderProblems);
        return b;
    }

    @Override
    public String name() {
        return "image:" + (image != null ? image : target());
    }

    /** The registry, host and optional port (e.g. {@code 123456789012.dkr.ecr.eu-west-1.amazonaws.com}). */
    @JsonProperty("registry")
    public String registry() {
        return registry;
    }

    /** The repository in the registry (e.g. {@code team/flows}). */
    @JsonProperty("repository")
    public String repository() {
        return repository;
    }

    /** The tag to push; empty means a tag derived from the image's content (see {@link Builder#tag}). */
    public Optional<String> tag() {
        return Optional.ofNullable(tag);
    }

    @JsonProperty("tag")
    private String tagValue() {
        return tag;
    }

    /** The base image: a registry reference, {@code tar:///path} or {@code scratch}. */
    @JsonProperty("baseImage")
    public String baseImage() {
        return baseImage;
    }

    /** The platform, {@code os/architecture}. */
    @JsonProperty("platform")
    public String platform() {
        return platform;
    }

    /** Environment variables set in the image (the base image's are kept unless overridden). */
    @JsonProperty("environment")
    public Map<String, String> environment() {
        return environment;
    }

    /** Labels set on the image, besides {@value #FLOWS_LABEL}, which {@link #build()} adds. */
    @JsonProperty("labels")
    public Map<String, String> labels() {
        return labels;
    }

    /** Extra files put into the top layer. */
    @JsonProperty("extraFiles")
    public List<ExtraFile> extraFiles() {
        return extraFiles;
    }

    /**
     * Whether plain HTTP and unverified TLS are accepted for non-loopback registries. Loopback registries
     * ({@code localhost}, {@code 127.0.0.1}) may use plain HTTP without it.
     */
    @JsonProperty("allowInsecureRegistries")
    public boolean allowInsecureRegistries() {
        return allowInsecureRegistries;
    }

    /** The pushed image by digest, {@code registry/repository@sha256:...}; empty until built. */
    public Optional<String> image() {
        return Optional.ofNullable(image);
    }

    @JsonProperty("image")
    private String imageValue() {
        return image;
    }

    /** What the build that produced this storage did; empty for a storage that was not returned by build(). */
    public Optional<ImageBuildReport> buildReport() {
        return Optional.ofNullable(report);
    }

    /**
     * Records every flow of {@code provider} at {@code providerClass#flowName}, which the runner finds without
     * a {@code META-INF/services} entry (the class needs a public no-argument constructor).
     *
     * @return the locations, by flow name
     */
    public Map<String, String> addFlows(FlowProvider provider) {
        Objects.requireNonNull(provider, "provider");
        Map<String, String> out = new LinkedHashMap<>();
        for (Flow f : provider.flows()) {
            out.put(f.name(), addFlow(f, provider.getClass().getName() + "#" + f.name()));
        }
        return out;
    }

    /** Loads a flow from this JVM's class path, which, inside the image, is the image's class path. */
    @Override
    public Flow load(String location) {
        return FlowLocator.load(location, contextLoader(),
                image != null ? "the class path of image " + image : "the class path");
    }

    /**
     * Checks every setting without any network call or side effect.
     *
     * @return every problem found, each naming the setting and the fix; empty if all is well
     */
    public List<String> validate() {
        List<String> problems = new ArrayList<>(builderProblems);
        validateTarget(problems);
        validateBase(problems);
        if (!platform.matches("[a-z0-9]+/[a-z0-9_]+")) {
            problems.add("platform '" + platform + "' is not os/architecture, e.g. linux/amd64 or linux/arm64");
        }
        environment.forEach((k, v) -> {
            if (k.isEmpty() || k.contains("=") || k.indexOf('\0') >= 0 || v.indexOf('\0') >= 0) {
                problems.add("environment: '" + k + "' is not a valid variable name (non-empty, without '=')");
            }
        });
        labels.keySet().forEach(k -> {
            if (k.isBlank()) {
                problems.add("labels: a label key is blank");
            } else if (k.equals(FLOWS_LABEL)) {
                problems.add("labels: " + FLOWS_LABEL + " is set by build() to the flows' names; remove it");
            }
        });
        for (ExtraFile f : extraFiles) {
            if (!Files.exists(f.source())) {
                problems.add("extraFiles: " + f.source() + " does not exist; give an existing file or directory");
            }
            if (!f.target().startsWith("/")) {
                problems.add("extraFiles: target '" + f.target() + "' of " + f.source()
                        + " is not an absolute path in the image, e.g. /app/config/" + f.source().getFileName());
            }
        }
        credentialProblems("credentials", username, password, ENV_USERNAME, ENV_PASSWORD, problems);
        credentialProblems("baseImageCredentials", baseUsername, basePassword, ENV_BASE_USERNAME,
                ENV_BASE_PASSWORD, problems);
        if (cacheDirectory != null && Files.exists(cacheDirectory) && !Files.isDirectory(cacheDirectory)) {
            problems.add("cacheDirectory " + cacheDirectory + " is not a directory");
        }
        if (dockerConfig != null && Files.exists(dockerConfig) && !Files.isRegularFile(dockerConfig)) {
            problems.add("dockerConfig " + dockerConfig + " is not a file; give the path of config.json");
        }
        if (classpath != null) {
            if (classpath.isEmpty()) {
                problems.add("classpath is empty; give the application's class path entries, or leave it unset"
                        + " to use this JVM's");
            }
            for (Path p : classpath) {
                if (!Files.exists(p)) {
                    problems.add("classpath entry " + p + " does not exist");
                }
            }
        }
        insecureProblems(problems);
        return problems;
    }

    private void validateTarget(List<String> problems) {
        boolean registryOk = false;
        if (registry == null || registry.isBlank()) {
            problems.add("registry is not set; give the registry host and optional port, e.g. 127.0.0.1:5000 or"
                    + " 123456789012.dkr.ecr.eu-west-1.amazonaws.com (or set " + ENV_REGISTRY + ")");
        } else if (registry.contains("://")) {
            problems.add("registry '" + registry + "' must be host[:port] without a scheme, e.g. "
                    + registry.substring(registry.indexOf("://") + 3).replaceAll("/.*", "")
                    + "; loopback registries may use plain HTTP, others need allowInsecureRegistries(true) for it");
        } else if (!ImageReference.isValidRegistry(registry) || registry.contains("/")) {
            problems.add("registry '" + registry + "' is not a valid registry host[:port], e.g. 127.0.0.1:5000 or"
                    + " ghcr.io");
        } else {
            registryOk = true;
        }
        boolean repositoryOk = false;
        if (repository == null || repository.isBlank()) {
            problems.add("repository is not set; give the repository in the registry, e.g. team/flows (or set "
                    + ENV_REPOSITORY + ")");
        } else if (!ImageReference.isValidRepository(repository)) {
            problems.add("repository '" + repository + "' is not a valid repository name: lower-case letters,"
                    + " digits and separators (. _ -), components joined by '/', e.g. team/flows");
        } else {
            repositoryOk = true;
        }
        if (tag != null && !ImageReference.isValidTag(tag)) {
            problems.add("tag '" + tag + "' is not a valid tag: up to 128 letters, digits, '_', '.' or '-', not"
                    + " starting with '.' or '-'; or leave it unset for a tag derived from the image's content");
        }
        if (registryOk && repositoryOk) {
            try {
                ImageReference ref = ImageReference.parse(registry + "/" + repository);
                if (!ref.getRegistry().equals(registry)) {
                    problems.add("registry '" + registry + "' is read as part of the repository; add a port or a"
                            + " domain (e.g. " + registry + ":5000)");
                }
            } catch (InvalidImageReferenceException e) {
                problems.add("image reference '" + registry + "/" + repository + "' is invalid: " + e.getMessage());
            }
        }
    }

    private void validateBase(List<String> problems) {
        if (baseImage.isBlank()) {
            problems.add("baseImage is blank; leave it unset for " + DEFAULT_BASE_IMAGE + ", or give an image");
        } else if (baseImage.startsWith(TAR_PREFIX)) {
            Path tar = Paths.get(baseImage.substring(TAR_PREFIX.length()));
            if (!Files.isRegularFile(tar)) {
                problems.add("baseImage " + baseImage + ": file " + tar.toAbsolutePath() + " does not exist; give"
                        + " an image tar (docker save, or Jib's tar output) as tar:///absolute/path.tar");
            } else if (!Files.isReadable(tar)) {
                problems.add("baseImage " + baseImage + ": file " + tar.toAbsolutePath() + " is not readable");
            }
        } else if (baseImage.startsWith("docker://")) {
            problems.add("baseImage " + baseImage + ": images in a Docker daemon are not supported (no daemon is"
                    + " used); push the image to a registry, or save it with docker save and use tar:///path.tar");
        } else if (!baseImage.equals(SCRATCH)) {
            try {
                ImageReference.parse(stripRegistryPrefix(baseImage));
            } catch (InvalidImageReferenceException e) {
                problems.add("baseImage '" + baseImage + "' is not a valid image reference; give e.g. "
                        + DEFAULT_BASE_IMAGE + ", registry.example.com/team/base:1, tar:///path.tar or scratch");
            }
        }
    }

    private static void credentialProblems(String setting, String user, String pass, String userVar,
                                           String passVar, List<String> problems) {
        boolean hasUser = user != null && !user.isBlank();
        boolean hasPass = pass != null && !pass.isEmpty();
        if (hasUser && !hasPass) {
            problems.add(setting + ": user '" + user + "' has no password; give one (or set " + passVar + ")");
        } else if (!hasUser && hasPass) {
            problems.add(setting + ": a password is set without a user name; give one (or set " + userVar + ")");
        }
    }

    private void insecureProblems(List<String> problems) {
        if (allowInsecureRegistries || registry == null || !ImageReference.isValidRegistry(registry)) {
            return;
        }
        Optional<String> baseRegistry = baseRegistry();
        boolean targetLoopback = Registries.isLoopback(registry);
        if (targetLoopback && baseRegistry.isPresent() && !Registries.isLoopback(baseRegistry.get())) {
            // Jib's insecure switch covers every registry of a build, so plain HTTP to the loopback target
            // would also allow an HTTP fallback for the remote base image
            problems.add("registry " + registry + " is on loopback and may use plain HTTP, but the base image's"
                    + " registry " + baseRegistry.get() + " is not, and Jib's insecure switch covers both: take the"
                    + " base image from a tar (tar:///path.tar) or from the loopback registry, or accept HTTP"
                    + " fallback for both with allowInsecureRegistries(true)");
        }
    }

    private Optional<String> baseRegistry() {
        if (baseImage.equals(SCRATCH) || baseImage.startsWith(TAR_PREFIX) || baseImage.startsWith("docker://")) {
            return Optional.empty();
        }
        try {
            return Optional.of(ImageReference.parse(stripRegistryPrefix(baseImage)).getRegistry());
        } catch (InvalidImageReferenceException e) {
            return Optional.empty();
        }
    }

    private static String stripRegistryPrefix(String reference) {
        return reference.startsWith(Jib.REGISTRY_IMAGE_PREFIX)
                ? reference.substring(Jib.REGISTRY_IMAGE_PREFIX.length()) : reference;
    }

    private boolean insecure() {
        if (allowInsecureRegistries) {
            return true;
        }
        return Registries.isLoopback(registry) && baseRegistry().map(Registries::isLoopback).orElse(true);
    }

    /**
     * Builds the image and pushes it. Blocking: reads the class path, talks to the registries (the base image's
     * and the target). Validation and a check that every added flow loads from the class path come first, so
     * that bad settings fail before any network call, all problems listed at once.
     *
     * @return a storage like this one whose {@link #image()} is the pushed image by digest and whose
     *         {@link #buildReport()} says what was uploaded
     * @throws ConfigurationException       if a setting is invalid or a flow cannot be found
     * @throws RegistryUnavailableException if a registry cannot be reached
     * @throws ImageBuildException          if the build or push fails otherwise (credentials refused, base
     *                                      image missing ...)
     */
    @Override
    public ImageStorage build() {
        List<String> problems = validate();
        List<Path> entries = classpath != null ? classpath : ClassPaths.current();
        if (problems.isEmpty()) {
            problems.addAll(flowProblems(entries));
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("image storage " + target(), problems);
        }
        List<RegistryCredentialSource> sources = CredentialChain.discover(credentialSources, contextLoader());
        Instant start = Instant.now();
        Path cache = cacheDirectory != null ? cacheDirectory : defaultCacheDirectory(variables);
        Path staging = null;
        try {
            Files.createDirectories(cache);
            staging = Files.createTempDirectory(cache, "staging-");
            LayerPlan plan = LayerPlan.plan(entries, extraFiles, LayerPlan.defaultRepositories(variables), staging);
            plan.warnings().forEach(w -> LOG.warn("image storage {}: {}", target(), w));
            Map<String, String> allLabels = new TreeMap<>(labels);
            allLabels.put(FLOWS_LABEL, String.join(",", new TreeSet<>(flows().keySet())));
            String pushTag = tag != null ? tag : contentTag(plan, allLabels);
            return push(plan, allLabels, pushTag, sources, cache, start);
        } catch (IOException e) {
            throw new ImageBuildException("image storage " + target() + ": cannot lay out the class path: "
                    + e.getMessage(), e);
        } finally {
            deleteQuietly(staging);
        }
    }

    private ImageStorage push(LayerPlan plan, Map<String, String> allLabels, String pushTag,
                              List<RegistryCredentialSource> sources, Path cache, Instant start) {
        BuildMonitor monitor = new BuildMonitor(!allowInsecureRegistries && insecure());
        Path docker = dockerConfig != null ? dockerConfig : CredentialChain.defaultDockerConfig(variables);
        CredentialChain chain = new CredentialChain(sources, docker, monitor::accept);
        ImageReference targetRef = reference(registry + "/" + repository + ":" + pushTag);
        String targetName = registry + "/" + repository + ":" + pushTag;
        RegistryImage targetImage = RegistryImage.named(targetRef);
        chain.retrievers(targetRef, credentials(username, password)).forEach(targetImage::addCredentialRetriever);

        String[] osArch = platform.split("/");
        JibContainerBuilder jib = base(chain)
                .setFileEntriesLayers(plan.toJibLayers())
                .setEntrypoint(RunnerSettings.DEFAULT_CONTAINER_COMMAND)
                .setEnvironment(environment)
                .setLabels(allLabels)
                .setCreationTime(Instant.EPOCH)
                .setPlatforms(Set.of(new Platform(osArch[1], osArch[0])));
        Containerizer containerizer = Containerizer.to(targetImage)
                .setBaseImageLayersCache(cache.resolve("base-layers"))
                .setApplicationLayersCache(cache.resolve("application-layers"))
                .setAllowInsecureRegistries(insecure())
                .setToolName("flowport")
                .addEventHandler(JibEvent.class, monitor::accept);
        LOG.info("image storage: building {} on {} ({} flows, {} layers)", targetName, baseImage, flows().size(),
                plan.layers().size());
        JibContainer container;
        try {
            container = jib.containerize(containerizer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageBuildException("image storage " + targetName + ": interrupted while building", e);
        } catch (Exception e) {
            throw Failures.translate(e, targetName, registry, baseImage, baseRegistry().orElse(null), chain,
                    monitor.errors());
        }
        String pushed = registry + "/" + repository + "@" + container.getDigest();
        List<ImageBuildReport.Layer> layers = plan.layers().stream()
                .map(l -> new ImageBuildReport.Layer(l.kind().layerName(), l.entries().size(), l.bytes()))
                .toList();
        ImageBuildReport buildReport = new ImageBuildReport(pushed, pushTag, layers, monitor.blobsUploaded(),
                monitor.bytesUploaded(), monitor.blobsSkipped(), Duration.between(start, Instant.now()));
        LOG.info("image storage: pushed {} (tag {}): {} blobs uploaded ({} bytes), {} already in the registry, {} ms",
                pushed, pushTag, buildReport.blobsUploaded(), buildReport.bytesUploaded(), buildReport.blobsSkipped(),
                buildReport.duration().toMillis());
        Builder b = toBuilder();
        b.image = pushed;
        b.report = buildReport;
        return b.build();
    }

    private JibContainerBuilder base(CredentialChain chain) {
        if (baseImage.equals(SCRATCH)) {
            return Jib.fromScratch();
        }
        if (baseImage.startsWith(TAR_PREFIX)) {
            return Jib.from(TarImage.at(Paths.get(baseImage.substring(TAR_PREFIX.length()))));
        }
        ImageReference ref = reference(stripRegistryPrefix(baseImage));
        RegistryImage base = RegistryImage.named(ref);
        chain.retrievers(ref, credentials(baseUsername, basePassword)).forEach(base::addCredentialRetriever);
        return Jib.from(base);
    }

    private String contentTag(LayerPlan plan, Map<String, String> allLabels) {
        List<String> settings = new ArrayList<>();
        settings.add("base=" + baseImage);
        settings.add("platform=" + platform);
        settings.add("entrypoint=" + RunnerSettings.DEFAULT_CONTAINER_COMMAND);
        environment.forEach((k, v) -> settings.add("env:" + k + "=" + v));
        allLabels.forEach((k, v) -> settings.add("label:" + k + "=" + v));
        return plan.contentDigest(settings).substring(0, CONTENT_TAG_LENGTH);
    }

    private List<String> flowProblems(List<Path> entries) {
        List<String> problems = new ArrayList<>();
        Map<String, String> toCheck = flows();
        if (toCheck.isEmpty()) {
            return problems;
        }
        URLClassLoader isolated = null;
        ClassLoader loader = contextLoader();
        if (classpath != null) {
            URL[] urls = new URL[entries.size()];
            try {
                for (int i = 0; i < urls.length; i++) {
                    urls[i] = entries.get(i).toUri().toURL();
                }
            } catch (MalformedURLException e) {
                problems.add("classpath: " + e.getMessage());
                return problems;
            }
            // parent-first, so that Flowport's own classes (Flow, FlowProvider) are shared with this JVM
            isolated = new URLClassLoader(urls, ImageStorage.class.getClassLoader());
            loader = isolated;
        }
        try {
            for (Map.Entry<String, String> e : toCheck.entrySet()) {
                try {
                    Flow f = FlowLocator.load(e.getValue(), loader, "the class path to put in the image");
                    if (!f.name().equals(e.getKey())) {
                        problems.add("flow '" + e.getKey() + "': location '" + e.getValue() + "' holds flow '"
                                + f.name() + "'");
                    }
                } catch (ConfigurationException ex) {
                    problems.add("flow '" + e.getKey() + "': " + ex.getMessage()
                            + "; or record the flow with addFlows(provider), which needs no META-INF/services entry");
                }
            }
        } finally {
            if (isolated != null) {
                try {
                    isolated.close();
                } catch (IOException ex) {
                    LOG.debug("could not close class loader", ex);
                }
            }
        }
        return problems;
    }

    private static RegistryCredentials credentials(String user, String pass) {
        return user == null || pass == null ? null : new RegistryCredentials(user, pass);
    }

    private static ImageReference reference(String text) {
        try {
            return ImageReference.parse(text);
        } catch (InvalidImageReferenceException e) {
            // validate() accepted it, so this is a bug rather than bad input
            throw new IllegalStateException("image reference '" + text + "' became invalid", e);
        }
    }

    /** {@code registry/repository[:tag]}, for messages. */
    private String target() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "");
    }

    /** {@code $FLOWPORT_IMAGE_CACHE_DIRECTORY}, else {@code $XDG_CACHE_HOME/flowport/jib}, else {@code ~/.cache/flowport/jib}. */
    static Path defaultCacheDirectory(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return root.resolve("flowport").resolve("jib");
    }

    private static ClassLoader contextLoader() {
        ClassLoader tccl = Thread.currentThread().getContextClassLoader();
        return tccl != null ? tccl : ImageStorage.class.getClassLoader();
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debug("could not delete {}", dir, e);
        }
    }

    @Override
    public String toString() {
        return "ImageStorage[" + (image != null ? "image=" + image + ", " : "") + "target=" + target()
                + ", baseImage=" + baseImage + ", platform=" + platform
                + (username != null ? ", credentials=" + username + ":****" : "")
                + (baseUsername != null ? ", baseImageCredentials=" + baseUsername + ":****" : "")
                + ", flows=" + flows() + "]";
    }

    /** Builds an {@link ImageStorage}. Not thread-safe. Nothing is checked until {@link ImageStorage#validate()}. */
    public static final class Builder {
        private String registry;
        private String repository;
        private String tag;
        private String baseImage;
        private String platform;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final Map<String, String> labels = new LinkedHashMap<>();
        private final List<ExtraFile> extraFiles = new ArrayList<>();
        private boolean allowInsecureRegistries;
        private String image;
        private final Map<String, String> flows = new LinkedHashMap<>();
        private String username;
        private String password;
        private String baseUsername;
        private String basePassword;
        private Path dockerConfig;
        private final List<RegistryCredentialSource> credentialSources = new ArrayList<>();
        private Path cacheDirectory;
        private List<Path> classpath;
        private Map<String, String> variables = System.getenv();
        private final List<String> problems = new ArrayList<>();
        private ImageBuildReport report;

        private Builder() {
        }

        /**
         * Applies the {@code FLOWPORT_IMAGE_*} variables present in {@code env} (see the module README's settings
         * table) and uses {@code env} for the defaults that depend on the environment ({@code DOCKER_CONFIG},
         * {@code XDG_CACHE_HOME}, {@code GRADLE_USER_HOME}). Setters called afterwards win.
         */
        public Builder fromEnvironment(Map<String, String> env) {
            Objects.requireNonNull(env, "env");
            variables = Map.copyOf(env);
            set(env, ENV_REGISTRY, v -> registry = v);
            set(env, ENV_REPOSITORY, v -> repository = v);
            set(env, ENV_TAG, v -> tag = v);
            set(env, ENV_BASE_IMAGE, v -> baseImage = v);
            set(env, ENV_PLATFORM, v -> platform = v);
            set(env, ENV_USERNAME, v -> username = v);
            set(env, ENV_PASSWORD, v -> password = v);
            set(env, ENV_BASE_USERNAME, v -> baseUsername = v);
            set(env, ENV_BASE_PASSWORD, v -> basePassword = v);
            set(env, ENV_DOCKER_CONFIG, v -> dockerConfig = Paths.get(v));
            set(env, ENV_CACHE_DIRECTORY, v -> cacheDirectory = Paths.get(v));
            set(env, ENV_ALLOW_INSECURE, v -> {
                if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
                    allowInsecureRegistries = Boolean.parseBoolean(v);
                } else {
                    problems.add(ENV_ALLOW_INSECURE + "='" + v + "' is not true or false");
                }
            });
            return this;
        }

        /** {@link #fromEnvironment(Map)} with this process's environment. */
        public Builder fromSystemEnvironment() {
            return fromEnvironment(System.getenv());
        }

        private static void set(Map<String, String> env, String name, java.util.function.Consumer<String> setter) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                setter.accept(v.trim());
            }
        }

        /** The registry to push to: host and optional port, without scheme (e.g. {@code 127.0.0.1:5000}). */
        public Builder registry(String value) {
            this.registry = value;
            return this;
        }

        /** The repository in the registry (e.g. {@code team/flows}). */
        public Builder repository(String value) {
            this.repository = value;
            return this;
        }

        /**
         * The tag to push. Default: the first 32 hex digits of a SHA-256 over the image's files and settings, so
         * that equal content gets an equal tag. Environments use the digest either way.
         */
        public Builder tag(String value) {
            this.tag = value;
            return this;
        }

        /**
         * The base image: a registry reference ({@code eclipse-temurin:17-jre}, the default;
         * {@code registry.example.com/team/jre:17}, also private: see {@link #baseImageCredentials}), a local
         * tar file ({@code tar:///path/base.tar}), or {@code scratch} (no JVM; for tests).
         */
        public Builder baseImage(String value) {
            this.baseImage = value;
            return this;
        }

        /** The platform, {@code os/architecture} (default {@value ImageStorage#DEFAULT_PLATFORM}). */
        public Builder platform(String value) {
            this.platform = value;
            return this;
        }

        /** Sets an environment variable in the image (e.g. {@code JAVA_TOOL_OPTIONS=-Xmx512m}). */
        public Builder environment(String name, String value) {
            environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Sets environment variables in the image. */
        public Builder environment(Map<String, String> values) {
            values.forEach(this::environment);
            return this;
        }

        /** Sets a label on the image. */
        public Builder label(String key, String value) {
            labels.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Sets labels on the image. */
        public Builder labels(Map<String, String> values) {
            values.forEach(this::label);
            return this;
        }

        /** Adds a local file or directory at an absolute path in the image (top layer). */
        public Builder extraFile(Path source, String target) {
            extraFiles.add(new ExtraFile(source, target));
            return this;
        }

        /**
         * Accepts plain HTTP and unverified TLS for every registry of the build. Loopback registries may use plain
         * HTTP without it as long as every registry of the build is on loopback. Default false.
         */
        public Builder allowInsecureRegistries(boolean value) {
            this.allowInsecureRegistries = value;
            return this;
        }

        /** Credentials for the target registry. Never serialized or logged. */
        public Builder credentials(String user, String pass) {
            this.username = user;
            this.password = pass;
            return this;
        }

        /** Credentials for the base image's registry. Never serialized or logged. */
        public Builder baseImageCredentials(String user, String pass) {
            this.baseUsername = user;
            this.basePassword = pass;
            return this;
        }

        /**
         * The Docker config file whose {@code auths}, {@code credHelpers} and {@code credsStore} give credentials
         * (default {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}).
         */
        public Builder dockerConfig(Path file) {
            this.dockerConfig = file;
            return this;
        }

        /** A credential source asked before the ones found in {@code META-INF/services}. */
        public Builder credentialSource(RegistryCredentialSource source) {
            credentialSources.add(Objects.requireNonNull(source, "source"));
            return this;
        }

        /**
         * Jib's caches: base image layers in {@code base-layers}, application layers in
         * {@code application-layers} (default {@code ~/.cache/flowport/jib}).
         */
        public Builder cacheDirectory(Path dir) {
            this.cacheDirectory = dir;
            return this;
        }

        /** The class path to put into the image, in order (default: this JVM's, as {@code java.class.path}). */
        public Builder classpath(List<Path> entries) {
            this.classpath = entries == null ? null : new ArrayList<>(entries);
            return this;
        }

        /** Builds the storage; settings are checked by {@link ImageStorage#validate()} and {@link ImageStorage#build()}. */
        public ImageStorage build() {
            return new ImageStorage(this);
        }
    }
}
