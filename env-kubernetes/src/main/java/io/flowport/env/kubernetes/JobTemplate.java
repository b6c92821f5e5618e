package io.flowport.env.kubernetes;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.flowport.core.ConfigurationException;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.Names;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A Job spec with the environment's settings applied, ready to be stamped for each run: parsing (with line
 * numbers), the checks Kubernetes would otherwise make at create time, and the per-run rendering (name, labels,
 * annotations, command, {@code FLOWPORT__*} variables).
 */
final class JobTemplate {

    /** Annotation with the flow run's id, unshortened (the label value may be shortened). */
    static final String ANNOTATION_FLOW_RUN_ID = "flowport.io/flow-run-id";
    /** Annotation with the flow's name, unshortened. */
    static final String ANNOTATION_FLOW_NAME = "flowport.io/flow-name";
    /** Annotation with the launch's idempotency token: a create that hits 409 compares it. */
    static final String ANNOTATION_TOKEN = "flowport.io/idempotency-token";

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final String DEFAULT_SPEC_RESOURCE = "default-job.yaml";

    private final Job job;
    private final String hash;

    private JobTemplate(Job job) {
        this.job = job;
        this.hash = Names.sha256Hex(SERIALIZATION.asJson(job));
    }

    /**
     * What the environment's settings change in the spec.
     *
     * @param image                   the flow container's image, or null to keep the spec's
     * @param serviceAccount          the pod's service account, or null to keep the spec's
     * @param imagePullSecrets        secrets added to the pod's image pull secrets
     * @param resources               requests and limits merged into the flow container's
     * @param ttlSecondsAfterFinished the Job's TTL after it finished, or null to keep the spec's
     */
    record Options(String image, String serviceAccount, List<String> imagePullSecrets, ContainerResources resources,
                   Integer ttlSecondsAfterFinished) {
        Options {
            imagePullSecrets = imagePullSecrets == null ? List.of() : List.copyOf(imagePullSecrets);
            resources = resources == null ? ContainerResources.NONE : resources;
        }
    }

    /** The Job spec used when none is given. */
    static String defaultSpec() {
        try (InputStream in = JobTemplate.class.getResourceAsStream(DEFAULT_SPEC_RESOURCE)) {
            return new String(Objects.requireNonNull(in, DEFAULT_SPEC_RESOURCE).readAllBytes(),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DEFAULT_SPEC_RESOURCE + " from the class path", e);
        }
    }

    /**
     * Parses a Job spec, adding every problem found to {@code problems} (each starting with {@code source}).
     *
     * @return the Job, or null when the text cannot be read as one
     */
    static Job parse(String source, String yaml, List<String> problems) {
        List<JsonNode> documents = new ArrayList<>();
        // one tree per YAML document (a reader's readValues would also split a top-level list into items)
        try (JsonParser parser = YAML.createParser(yaml)) {
            JsonNode node;
            while ((node = YAML.readTree(parser)) != null) {
                if (!node.isNull() && !node.isMissingNode()) {
                    documents.add(node);
                }
            }
        } catch (JsonProcessingException e) {
            problems.add(source + ": the YAML does not parse" + syntaxError(e));
            return null;
        } catch (IOException e) {
            problems.add(source + ": cannot be read: " + e.getMessage());
            return null;
        }
        if (documents.isEmpty()) {
            problems.add(source + " is empty; expected a batch/v1 Job");
            return null;
        }
        if (documents.size() > 1) {
            problems.add(source + " holds " + documents.size() + " YAML documents; expected exactly one Job");
        }
        JsonNode root = documents.get(0);
        if (!root.isObject()) {
            problems.add(source + ": expected a mapping describing a batch/v1 Job, found " + describe(root));
            return null;
        }
        JsonNode apiVersion = root.get("apiVersion");
        JsonNode kind = root.get("kind");
        if (apiVersion == null || !apiVersion.isTextual()) {
            problems.add(source + ": apiVersion is missing; a Job spec starts with 'apiVersion: batch/v1'");
        } else if (!"batch/v1".equals(apiVersion.asText())) {
            problems.add(source + ": apiVersion must be 'batch/v1', was '" + apiVersion.asText() + "'");
        }
        if (kind == null || !kind.isTextual()) {
            problems.add(source + ": kind is missing; a Job spec has 'kind: Job'");
        } else if (!"Job".equals(kind.asText())) {
            problems.add(source + ": kind must be 'Job', was '" + kind.asText() + "'"
                    + ("CronJob".equals(kind.asText()) ? " (use the CronJob's spec.jobTemplate as a Job)" : ""));
        }
        try {
            return YAML.readValue(yaml, Job.class);
        } catch (JsonMappingException e) {
            problems.add(source + ": " + path(e) + " has an unexpected value" + at(e.getLocation()) + ": "
                    + condense(e.getOriginalMessage()));
            return null;
        } catch (JsonProcessingException e) {
            problems.add(source + ": the YAML does not parse" + at(e.getLocation()) + ": "
                    + condense(e.getOriginalMessage()));
            return null;
        }
    }

    /**
     * Adds every problem of a parsed Job spec under the given options: containers, names, labels, images,
     * restart policy, resources, variables, parallelism.
     */
    static void check(String source, Job job, Options options, List<String> problems) {
        ObjectMeta meta = job.getMetadata();
        if (meta != null) {
            if (meta.getName() != null) {
                add(problems, KubernetesNames.dnsLabel(source + ": metadata.name", meta.getName(),
                        KubernetesNames.MAX_JOB_NAME));
            }
            if (meta.getGenerateName() != null) {
                problems.add(source + ": metadata.generateName is not supported (a retried create would start a"
                        + " second Job); use metadata.name with uniqueJobName=true instead");
            }
            if (meta.getNamespace() != null) {
                add(problems, KubernetesNames.dnsLabel(source + ": metadata.namespace", meta.getNamespace(), 63));
            }
            checkLabels(source + ": metadata.labels", meta.getLabels(), problems);
        }
        JobSpec spec = job.getSpec();
        if (spec == null) {
            problems.add(source + ": spec is missing; a Job needs spec.template.spec.containers");
            return;
        }
        if (spec.getParallelism() != null && spec.getParallelism() != 1) {
            problems.add(source + ": spec.parallelism is " + spec.getParallelism() + "; a flow run is one pod,"
                    + " remove it or set it to 1");
        }
        if (spec.getCompletions() != null && spec.getCompletions() != 1) {
            problems.add(source + ": spec.completions is " + spec.getCompletions() + "; a flow run is one pod,"
                    + " remove it or set it to 1");
        }
        if (spec.getBackoffLimit() != null && spec.getBackoffLimit() < 0) {
            problems.add(source + ": spec.backoffLimit must be >= 0, was " + spec.getBackoffLimit());
        }
        if (spec.getActiveDeadlineSeconds() != null && spec.getActiveDeadlineSeconds() <= 0) {
            problems.add(source + ": spec.activeDeadlineSeconds must be > 0, was "
                    + spec.getActiveDeadlineSeconds());
        }
        if (spec.getTtlSecondsAfterFinished() != null && spec.getTtlSecondsAfterFinished() < 0) {
            problems.add(source + ": spec.ttlSecondsAfterFinished must be >= 0, was "
                    + spec.getTtlSecondsAfterFinished());
        }
        PodTemplateSpec template = spec.getTemplate();
        if (template != null && template.getMetadata() != null) {
            checkLabels(source + ": spec.template.metadata.labels", template.getMetadata().getLabels(), problems);
        }
        PodSpec pod = template == null ? null : template.getSpec();
        if (pod == null || pod.getContainers() == null || pod.getContainers().isEmpty()) {
            problems.add(source + ": spec.template.spec.containers is empty; add at least one container (the"
                    + " first one runs the flow)");
            return;
        }
        String restart = pod.getRestartPolicy();
        if (restart != null && !restart.equals("Never") && !restart.equals("OnFailure")) {
            problems.add(source + ": spec.template.spec.restartPolicy '" + restart + "' is not allowed for a Job;"
                    + " use Never (or OnFailure)");
        }
        if (pod.getServiceAccountName() != null && options.serviceAccount() == null) {
            add(problems, KubernetesNames.dnsSubdomain(source + ": spec.template.spec.serviceAccountName",
                    pod.getServiceAccountName()));
        }
        if (pod.getImagePullSecrets() != null) {
            for (LocalObjectReference ref : pod.getImagePullSecrets()) {
                add(problems, KubernetesNames.dnsSubdomain(source + ": spec.template.spec.imagePullSecrets[].name",
                        ref.getName()));
            }
        }
        List<Container> containers = pod.getContainers();
        for (int i = 0; i < containers.size(); i++) {
            Container c = containers.get(i);
            String field = source + ": spec.template.spec.containers[" + i + "]";
            if (c.getName() == null) {
                problems.add(field + ".name is missing; name the container (e.g. 'flow')");
            } else {
                add(problems, KubernetesNames.dnsLabel(field + ".name", c.getName(), 63));
            }
            boolean hasImage = c.getImage() != null && !c.getImage().isBlank();
            if (i == 0 && !hasImage && options.image() == null) {
                problems.add("no image for the flow's container: set 'image' (or FLOWPORT_KUBERNETES_IMAGE), or"
                        + " spec.template.spec.containers[0].image in " + source);
            } else if (i > 0 && !hasImage) {
                problems.add(field + ".image is missing");
            }
            if (c.getResources() != null) {
                checkQuantities(field + ".resources.requests", c.getResources().getRequests(), problems);
                checkQuantities(field + ".resources.limits", c.getResources().getLimits(), problems);
            }
            if (c.getEnv() != null) {
                for (EnvVar v : c.getEnv()) {
                    add(problems, KubernetesNames.envName(field + ".env", v.getName()));
                    if (i == 0 && v.getName() != null && v.getName().startsWith("FLOWPORT__")) {
                        problems.add(field + ".env: " + v.getName() + " is set by Flowport for each run; remove"
                                + " it");
                    }
                }
            }
        }
    }

    private static void checkLabels(String field, Map<String, String> labels, List<String> problems) {
        KubernetesNames.labels(field, labels, problems);
        if (labels != null) {
            for (String key : labels.keySet()) {
                if (key != null && key.startsWith("flowport.io/")) {
                    problems.add(field + ": label '" + key + "' is set by Flowport for each run; remove it");
                }
            }
        }
    }

    private static void checkQuantities(String field, Map<String, Quantity> values, List<String> problems) {
        if (values == null) {
            return;
        }
        for (Map.Entry<String, Quantity> e : values.entrySet()) {
            add(problems, KubernetesNames.resourceName(field, e.getKey()));
            add(problems, KubernetesNames.quantity(field + "." + e.getKey(),
                    e.getValue() == null ? null : e.getValue().toString()));
        }
    }

    /**
     * The template of a checked Job spec: the options applied, defaults filled in ({@code backoffLimit: 0},
     * {@code restartPolicy: Never}) and the namespace removed (the backend decides it).
     *
     * @throws ConfigurationException if the spec has problems
     */
    static JobTemplate of(String source, Job parsed, Options options) {
        List<String> problems = new ArrayList<>();
        check(source, parsed, options, problems);
        problems.addAll(options.resources().problems("resources"));
        if (!problems.isEmpty()) {
            throw new ConfigurationException("Kubernetes Job spec", problems);
        }
        Job job = SERIALIZATION.clone(parsed);
        if (job.getMetadata() == null) {
            job.setMetadata(new ObjectMeta());
        }
        job.getMetadata().setNamespace(null);
        JobSpec spec = job.getSpec();
        if (spec.getBackoffLimit() == null) {
            spec.setBackoffLimit(0);
        }
        if (options.ttlSecondsAfterFinished() != null) {
            spec.setTtlSecondsAfterFinished(options.ttlSecondsAfterFinished());
        }
        PodSpec pod = spec.getTemplate().getSpec();
        if (pod.getRestartPolicy() == null) {
            pod.setRestartPolicy("Never");
        }
        if (options.serviceAccount() != null) {
            pod.setServiceAccountName(options.serviceAccount());
        }
        if (!options.imagePullSecrets().isEmpty()) {
            List<LocalObjectReference> secrets = pod.getImagePullSecrets() == null ? new ArrayList<>()
                    : new ArrayList<>(pod.getImagePullSecrets());
            for (String name : options.imagePullSecrets()) {
                if (secrets.stream().noneMatch(s -> name.equals(s.getName()))) {
                    secrets.add(new LocalObjectReference(name));
                }
            }
            pod.setImagePullSecrets(secrets);
        }
        Container flow = pod.getContainers().get(0);
        if (options.image() != null) {
            flow.setImage(options.image());
        }
        if (!options.resources().isEmpty()) {
            ResourceRequirements r = flow.getResources() == null ? new ResourceRequirements() : flow.getResources();
            r.setRequests(merge(r.getRequests(), options.resources().requests()));
            r.setLimits(merge(r.getLimits(), options.resources().limits()));
            flow.setResources(r);
        }
        return new JobTemplate(job);
    }

    private static Map<String, Quantity> merge(Map<String, Quantity> base, Map<String, String> extra) {
        Map<String, Quantity> out = new LinkedHashMap<>(base == null ? Map.of() : base);
        extra.forEach((k, v) -> out.put(k, new Quantity(v.trim())));
        return out.isEmpty() ? null : out;
    }

    /** The template (do not modify). */
    Job job() {
        return job;
    }

    /** The hash of the template's JSON: equal templates have equal hashes. */
    String hash() {
        return hash;
    }

    /** The name of the container that runs the flow (the first one). */
    String containerName() {
        return job.getSpec().getTemplate().getSpec().getContainers().get(0).getName();
    }

    /**
     * The Job of one run: its name (the spec's name or {@code flowport-<flow>}, plus a suffix hashed from the
     * idempotency token when {@code unique}), the run's labels on the Job and its pods, annotations with the
     * unshortened run id, flow name and token, and the flow container's command and variables.
     */
    Job render(LaunchRequest request, boolean unique) {
        Job out = SERIALIZATION.clone(job);
        ObjectMeta meta = out.getMetadata();
        String base = meta.getName() != null ? meta.getName()
                : "flowport-" + Names.sanitize(request.flowName(), KubernetesNames.JOB_NAME);
        String name = KubernetesNames.jobName(base, unique, request.idempotencyToken());
        meta.setName(name);
        meta.setLabels(withAll(meta.getLabels(), request.labels()));
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(ANNOTATION_FLOW_RUN_ID, request.flowRunId());
        annotations.put(ANNOTATION_FLOW_NAME, request.flowName());
        meta.setAnnotations(withAll(meta.getAnnotations(), annotations));
        meta.getAnnotations().put(ANNOTATION_TOKEN, request.idempotencyToken());

        PodTemplateSpec template = out.getSpec().getTemplate();
        if (template.getMetadata() == null) {
            template.setMetadata(new ObjectMeta());
        }
        template.getMetadata().setLabels(withAll(template.getMetadata().getLabels(), request.labels()));
        template.getMetadata().setAnnotations(withAll(template.getMetadata().getAnnotations(), annotations));

        Container flow = template.getSpec().getContainers().get(0);
        flow.setCommand(new ArrayList<>(request.command()));
        flow.setArgs(null);
        List<EnvVar> env = new ArrayList<>();
        if (flow.getEnv() != null) {
            for (EnvVar v : flow.getEnv()) {
                if (!request.environment().containsKey(v.getName())) {
                    env.add(v);
                }
            }
        }
        // sorted, so that the same run renders the same Job
        new TreeMap<>(request.environment()).forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        flow.setEnv(env);
        return out;
    }

    private static Map<String, String> withAll(Map<String, String> base, Map<String, String> extra) {
        Map<String, String> out = new LinkedHashMap<>(base == null ? Map.of() : base);
        out.putAll(new TreeMap<>(extra));
        return out;
    }

    private static void add(List<String> problems, String problem) {
        if (problem != null) {
            problems.add(problem);
        }
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Where and why YAML does not parse, from SnakeYAML's marks when it has them (they are exact). */
    private static String syntaxError(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
            StringBuilder sb = new StringBuilder(" at line ").append(m.getProblemMark().getLine() + 1)
                    .append(", column ").append(m.getProblemMark().getColumn() + 1).append(": ")
                    .append(condense(m.getProblem()));
            if (m.getContext() != null && m.getContextMark() != null) {
                sb.append(" (").append(condense(m.getContext())).append(" at line ")
                        .append(m.getContextMark().getLine() + 1).append(", column ")
                        .append(m.getContextMark().getColumn() + 1).append(")");
            }
            return sb.toString();
        }
        return at(e.getLocation()) + ": " + condense(e.getOriginalMessage());
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "the document" : sb.toString();
    }

    private static String condense(String message) {
        if (message == null) {
            return "";
        }
        String s = message.replaceAll("\\s+", " ").trim();
        return s.length() > 300 ? s.substring(0, 297) + "..." : s;
    }

    private static String describe(JsonNode node) {
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "the text '" + condense(node.asText()) + "'";
        }
        return "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
