package io.flowport.env.dask.kubernetes;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.flowport.env.dask.spi.ProcessSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The scheduler and worker pod specs: reading and checking the user's YAML (or the defaults shipped in this jar),
 * and rendering the pod of one Dask process from them. What Flowport sets on every pod is listed in the module
 * README ("What it creates").
 */
final class PodTemplates {

    /** The image of the default specs: Dask's own image, the Dask version of Debian's python3-distributed. */
    static final String DEFAULT_IMAGE = "ghcr.io/dask/dask:2022.12.1";
    /** The name of the volume with the cluster's TLS material (reserved). */
    static final String TLS_VOLUME = "flowport-dask-tls";
    /** Where the TLS material is mounted in every pod. */
    static final String TLS_MOUNT = "/etc/flowport/dask-tls";
    /** The variable that carries the pod's IP (downward API), used in the Dask processes' arguments. */
    static final String POD_IP_VARIABLE = "FLOWPORT_POD_IP";
    /** The scheduler's ports when its spec names none. */
    static final int DEFAULT_COMM_PORT = 8786;
    static final int DEFAULT_DASHBOARD_PORT = 8787;

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");

    private PodTemplates() {
    }

    /** The default spec of a role (a resource of this jar). */
    static String defaultSpec(ProcessSpec.Role role) {
        String resource = role == ProcessSpec.Role.SCHEDULER ? "default-scheduler.yaml" : "default-worker.yaml";
        try (InputStream in = PodTemplates.class.getResourceAsStream(resource)) {
            return new String(Objects.requireNonNull(in, resource).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + " from the class path", e);
        }
    }

    /** The two templates of a cluster, checked. */
    record Templates(Pod scheduler, Pod worker, String namespace) {
    }

    /**
     * Reads and checks both specs under the settings, adding every problem to {@code problems}.
     *
     * @return the templates, or null if there were problems
     */
    static Templates read(PlatformSettings s, List<String> problems) {
        int before = problems.size();
        Pod scheduler = parse(s.schedulerSource(), s.schedulerSpec() != null ? s.schedulerSpec()
                : defaultSpec(ProcessSpec.Role.SCHEDULER), problems);
        Pod worker = parse(s.workerSource(), s.workerSpec() != null ? s.workerSpec()
                : defaultSpec(ProcessSpec.Role.WORKER), problems);
        if (scheduler != null) {
            check(s.schedulerSource(), scheduler, "scheduler", s, problems);
        }
        if (worker != null) {
            check(s.workerSource(), worker, "worker", s, problems);
        }
        String namespace = s.namespace();
        if (namespace != null) {
            dnsLabel("namespace", namespace, problems);
        }
        for (Pod p : new Pod[]{scheduler, worker}) {
            String specNamespace = p == null || p.getMetadata() == null ? null : p.getMetadata().getNamespace();
            if (specNamespace == null) {
                continue;
            }
            String source = p == scheduler ? s.schedulerSource() : s.workerSource();
            if (namespace == null) {
                namespace = specNamespace;
            } else if (!namespace.equals(specNamespace)) {
                problems.add(source + ": metadata.namespace '" + specNamespace + "' differs from the namespace '"
                        + namespace + "' (of the namespace setting or the other spec); a cluster lives in one"
                        + " namespace, set it once");
            }
        }
        for (int i = 0; i < s.imagePullSecrets().size(); i++) {
            dnsSubdomain("imagePullSecret '" + s.imagePullSecrets().get(i) + "'", s.imagePullSecrets().get(i),
                    problems);
        }
        if (s.image() != null && (s.image().isBlank() || s.image().chars().anyMatch(Character::isWhitespace))) {
            problems.add("image '" + s.image() + "' is not a valid image reference; use e.g."
                    + " 'registry.example.com/dask:2022.12.1'");
        }
        return problems.size() == before ? new Templates(scheduler, worker, namespace) : null;
    }

    /** Parses one pod spec; null (with the problem added) when the text is not one pod. */
    static Pod parse(String source, String yaml, List<String> problems) {
        List<JsonNode> documents = new ArrayList<>();
        try (JsonParser parser = YAML.createParser(yaml)) {
            JsonNode node;
            while ((node = YAML.readTree(parser)) != null) {
                if (!node.isNull() && !node.isMissingNode()) {
                    documents.add(node);
                }
            }
        } catch (JsonProcessingException e) {
            problems.add(source + ": the YAML does not parse: " + condense(e.getOriginalMessage()));
            return null;
        } catch (IOException e) {
            problems.add(source + ": cannot be read: " + e.getMessage());
            return null;
        }
        if (documents.isEmpty()) {
            problems.add(source + " is empty; expected a Pod (apiVersion: v1, kind: Pod, spec.containers)");
            return null;
        }
        if (documents.size() > 1) {
            problems.add(source + " holds " + documents.size() + " YAML documents; expected exactly one Pod");
        }
        JsonNode root = documents.get(0);
        if (!root.isObject()) {
            problems.add(source + ": expected a mapping describing a Pod, found " + root.getNodeType()
                    .name().toLowerCase(java.util.Locale.ROOT));
            return null;
        }
        JsonNode apiVersion = root.get("apiVersion");
        if (apiVersion != null && !"v1".equals(apiVersion.asText())) {
            problems.add(source + ": apiVersion must be 'v1' (a Pod), was '" + apiVersion.asText() + "'");
        }
        JsonNode kind = root.get("kind");
        if (kind != null && !"Pod".equals(kind.asText())) {
            problems.add(source + ": kind must be 'Pod', was '" + kind.asText() + "' (give the pod template of a "
                    + kind.asText() + " as a Pod: its metadata and spec)");
        }
        try {
            return YAML.treeToValue(root, Pod.class);
        } catch (JsonMappingException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : "[" + r.getIndex() + "]").reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("?");
            problems.add(source + ": " + path + " has an unexpected value: " + condense(e.getOriginalMessage()));
            return null;
        } catch (JsonProcessingException e) {
            problems.add(source + ": " + condense(e.getOriginalMessage()));
            return null;
        }
    }

    private static String condense(String message) {
        String m = message == null ? "" : message.replaceAll("\\s+", " ").strip();
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }

    /** The problems of one parsed spec, for the role named by {@code role} ({@code scheduler}, {@code worker}). */
    static void check(String source, Pod pod, String role, PlatformSettings s, List<String> problems) {
        ObjectMeta meta = pod.getMetadata();
        if (meta != null) {
            if (meta.getNamespace() != null) {
                dnsLabel(source + ": metadata.namespace", meta.getNamespace(), problems);
            }
            labels(source + ": metadata.labels", meta.getLabels(), problems);
        }
        PodSpec spec = pod.getSpec();
        if (spec == null || spec.getContainers() == null || spec.getContainers().isEmpty()) {
            problems.add(source + ": spec.containers is empty; add at least one container (the first one runs"
                    + " the Dask " + role + ")");
            return;
        }
        if (spec.getRestartPolicy() != null && !"Never".equals(spec.getRestartPolicy())) {
            problems.add(source + ": spec.restartPolicy '" + spec.getRestartPolicy() + "' is not allowed; use Never"
                    + " (a Dask " + role + " that ends must stay ended: a retired worker that restarts would"
                    + " rejoin the cluster)");
        }
        if (spec.getActiveDeadlineSeconds() != null && spec.getActiveDeadlineSeconds() <= 0) {
            problems.add(source + ": spec.activeDeadlineSeconds must be > 0, was " + spec.getActiveDeadlineSeconds());
        }
        if (spec.getImagePullSecrets() != null) {
            for (LocalObjectReference ref : spec.getImagePullSecrets()) {
                dnsSubdomain(source + ": spec.imagePullSecrets[].name", ref.getName(), problems);
            }
        }
        if (spec.getVolumes() != null && spec.getVolumes().stream().anyMatch(v -> TLS_VOLUME.equals(v.getName()))) {
            problems.add(source + ": spec.volumes: the name '" + TLS_VOLUME + "' is Flowport's (the cluster's TLS"
                    + " material); rename your volume");
        }
        List<Container> containers = spec.getContainers();
        for (int i = 0; i < containers.size(); i++) {
            Container c = containers.get(i);
            String field = source + ": spec.containers[" + i + "]";
            if (c.getName() == null) {
                problems.add(field + ".name is missing; name the container (e.g. 'dask-" + role + "')");
            } else {
                dnsLabel(field + ".name", c.getName(), problems);
            }
            boolean hasImage = c.getImage() != null && !c.getImage().isBlank();
            if (i > 0 && !hasImage) {
                problems.add(field + ".image is missing");
            } else if (i == 0 && !hasImage && s.image() == null && isUserSpec(source)) {
                problems.add("no image for the Dask " + role + " container: set spec.containers[0].image in "
                        + source + ", or the image setting");
            }
            if (c.getEnv() != null) {
                for (EnvVar v : c.getEnv()) {
                    if (v.getName() == null || !ENV_NAME.matcher(v.getName()).matches()) {
                        problems.add(field + ".env: '" + v.getName() + "' is not a valid variable name");
                    }
                }
            }
        }
    }

    private static boolean isUserSpec(String source) {
        return !source.startsWith("the default ");
    }

    private static void labels(String field, Map<String, String> labels, List<String> problems) {
        if (labels == null) {
            return;
        }
        labels.forEach((k, v) -> {
            String name = k == null ? "" : k.substring(k.lastIndexOf('/') + 1);
            if (k == null || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
                problems.add(field + ": label key '" + k + "' is invalid");
            } else if (k.startsWith("flowport.io/")) {
                problems.add(field + ": label '" + k + "' is set by Flowport for each cluster; remove it");
            }
            if (v != null && !v.isEmpty() && (v.length() > 63 || !LABEL_NAME.matcher(v).matches())) {
                problems.add(field + ": value '" + v + "' of label '" + k + "' is invalid; label values are at most 63"
                        + " letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
            }
        });
    }

    static void dnsLabel(String field, String value, List<String> problems) {
        if (value == null || value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
            problems.add(field + " '" + value + "' is not a valid DNS-1123 label: at most 63 lower-case letters,"
                    + " digits and '-', starting and ending with a letter or digit");
        }
    }

    static void dnsSubdomain(String field, String value, List<String> problems) {
        if (value == null || value.length() > 253 || !DNS_SUBDOMAIN.matcher(value).matches()) {
            problems.add(field + " is not a valid secret name: at most 253 lower-case letters, digits, '-' and '.',"
                    + " starting and ending with a letter or digit");
        }
    }

    // ------------------------------------------------------------------------------------------ rendering

    /** The scheduler's Dask port and dashboard port: its first container's ports named comm / dashboard. */
    static int[] schedulerPorts(Pod template) {
        int comm = DEFAULT_COMM_PORT;
        int dashboard = DEFAULT_DASHBOARD_PORT;
        List<ContainerPort> ports = template.getSpec().getContainers().get(0).getPorts();
        if (ports != null) {
            for (ContainerPort p : ports) {
                if ("comm".equals(p.getName()) && p.getContainerPort() != null) {
                    comm = p.getContainerPort();
                } else if ("dashboard".equals(p.getName()) && p.getContainerPort() != null) {
                    dashboard = p.getContainerPort();
                }
            }
        }
        return new int[]{comm, dashboard};
    }

    /**
     * What to set on one pod.
     *
     * @param name           the pod's name
     * @param labels         labels added to the template's
     * @param annotations    annotations added to the template's
     * @param command        the first container's command (its args are cleared)
     * @param environment    literal variables for the first container (they win over the template's)
     * @param secretName     the cluster's TLS Secret, or null without TLS
     * @param secretKeys     the keys of that Secret this pod mounts (under {@link #TLS_MOUNT})
     * @param activeDeadline Kubernetes ends the pod after this many seconds (the cluster's maximum lifetime), or null
     * @param owner          the owner (the scheduler pod, for workers), or null
     */
    record Render(String name, Map<String, String> labels, Map<String, String> annotations, List<String> command,
                  Map<String, String> environment, String secretName, List<String> secretKeys, Long activeDeadline,
                  OwnerReference owner) {
    }

    /** The pod of one process: a deep copy of {@code template} with the settings and {@code r} applied. */
    static Pod render(Pod template, ProcessSpec.Role role, PlatformSettings s, Render r) {
        Pod pod = SERIALIZATION.clone(template);
        ObjectMeta meta = pod.getMetadata() == null ? new ObjectMeta() : pod.getMetadata();
        pod.setMetadata(meta);
        meta.setName(r.name());
        meta.setGenerateName(null);
        meta.setNamespace(null);
        Map<String, String> labels = new LinkedHashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels());
        labels.putAll(r.labels());
        meta.setLabels(labels);
        Map<String, String> annotations = new LinkedHashMap<>(meta.getAnnotations() == null ? Map.of()
                : meta.getAnnotations());
        annotations.putAll(r.annotations());
        meta.setAnnotations(annotations);
        if (r.owner() != null) {
            List<OwnerReference> owners = new ArrayList<>(meta.getOwnerReferences() == null ? List.of()
                    : meta.getOwnerReferences());
            owners.add(r.owner());
            meta.setOwnerReferences(owners);
        }
        PodSpec spec = pod.getSpec();
        spec.setRestartPolicy("Never");
        if (r.activeDeadline() != null && (spec.getActiveDeadlineSeconds() == null
                || spec.getActiveDeadlineSeconds() > r.activeDeadline())) {
            spec.setActiveDeadlineSeconds(r.activeDeadline());
        }
        List<LocalObjectReference> pullSecrets = new ArrayList<>(spec.getImagePullSecrets() == null ? List.of()
                : spec.getImagePullSecrets());
        for (String secret : s.imagePullSecrets()) {
            if (pullSecrets.stream().noneMatch(p -> secret.equals(p.getName()))) {
                pullSecrets.add(new LocalObjectReference(secret));
            }
        }
        spec.setImagePullSecrets(pullSecrets.isEmpty() ? null : pullSecrets);

        Container c = spec.getContainers().get(0);
        if (s.image() != null) {
            c.setImage(s.image());
        } else if (c.getImage() == null || c.getImage().isBlank()) {
            c.setImage(DEFAULT_IMAGE);
        }
        c.setCommand(new ArrayList<>(r.command()));
        c.setArgs(null);
        List<EnvVar> env = new ArrayList<>();
        if (c.getEnv() != null) {
            for (EnvVar v : c.getEnv()) {
                if (!r.environment().containsKey(v.getName()) && !POD_IP_VARIABLE.equals(v.getName())) {
                    env.add(v);
                }
            }
        }
        // the pod's IP comes from the downward API; the Dask processes listen on it (see the command's --host)
        env.add(new EnvVarBuilder().withName(POD_IP_VARIABLE).withNewValueFrom().withNewFieldRef()
                .withFieldPath("status.podIP").endFieldRef().endValueFrom().build());
        r.environment().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        c.setEnv(env);
        if (role == ProcessSpec.Role.SCHEDULER) {
            int[] ports = schedulerPorts(template);
            List<ContainerPort> declared = new ArrayList<>(c.getPorts() == null ? List.of() : c.getPorts());
            if (declared.stream().noneMatch(p -> "comm".equals(p.getName()))) {
                declared.add(new ContainerPortBuilder().withName("comm").withContainerPort(ports[0]).build());
            }
            if (declared.stream().noneMatch(p -> "dashboard".equals(p.getName()))) {
                declared.add(new ContainerPortBuilder().withName("dashboard").withContainerPort(ports[1]).build());
            }
            c.setPorts(declared);
        }
        if (r.secretName() != null && !r.secretKeys().isEmpty()) {
            List<KeyToPath> items = r.secretKeys().stream().map(k -> new KeyToPath(k, 0400, k)).toList();
            Volume v = new VolumeBuilder().withName(TLS_VOLUME).withNewSecret().withSecretName(r.secretName())
                    .withItems(items).withDefaultMode(0400).endSecret().build();
            List<Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
            volumes.add(v);
            spec.setVolumes(volumes);
            VolumeMount mount = new VolumeMountBuilder().withName(TLS_VOLUME).withMountPath(TLS_MOUNT)
                    .withReadOnly(true).build();
            List<VolumeMount> mounts = new ArrayList<>(c.getVolumeMounts() == null ? List.of()
                    : c.getVolumeMounts());
            mounts.add(mount);
            c.setVolumeMounts(mounts);
        }
        return pod;
    }
}
