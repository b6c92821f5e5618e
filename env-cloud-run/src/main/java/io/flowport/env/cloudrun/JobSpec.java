package io.flowport.env.cloudrun;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.EnvVarSource;
import com.google.cloud.run.v2.ExecutionTemplate;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.ResourceRequirements;
import com.google.cloud.run.v2.SecretKeySelector;
import com.google.cloud.run.v2.TaskTemplate;
import com.google.cloud.run.v2.VpcAccess;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.spi.Names;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Cloud Run job Flowport wants for a flow, and the comparison with the job Cloud Run has: both are reduced to
 * what this environment sets (fields Cloud Run fills in by itself — defaults, system labels, status — are left
 * out, and the task count and timeout are not compared because every run sends its own), and only a difference
 * there makes an update.
 */
final class JobSpec {

    /** The flow's container. */
    static final String CONTAINER = "flow";
    /** Job label: everything Flowport created. */
    static final String MANAGED_BY = "flowport-managed-by";
    /** Job label: the flow a job created for one flow runs. */
    static final String FLOW_NAME = "flowport-flow-name";
    /** Job label: the hash of the job's normalised content (32 hex digits: label values hold 63 characters). */
    static final String CONTENT_HASH = "flowport-content-hash";
    private static final List<String> SYSTEM_LABEL_PREFIXES = List.of("run.googleapis.com/",
            "cloud.googleapis.com/", "serving.knative.dev/", "goog-");
    /** Google Cloud label values are lower case: 63 of {@code [a-z0-9_-]}. */
    static final Names.Rule GOOGLE_LABEL_VALUE = Names.Rule.of("[^a-z0-9_-]", 63, true, "x");
    private static final Names.Rule UNBOUNDED_DNS_LABEL = new Names.Rule(Names.DNS_LABEL.forbidden(),
            Integer.MAX_VALUE, true, Names.DNS_LABEL.fallback());
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS,
            true);

    private JobSpec() {
    }

    /**
     * What {@link CloudRunBackend#prepare} creates for one flow.
     *
     * @param jobId      the job's short name
     * @param name       the job's resource name ({@code projects/…/locations/…/jobs/…})
     * @param job        the job to create or update with (content hash label included)
     * @param normalised what is compared with the job Cloud Run has
     * @param hash       the hash of {@code normalised}
     * @param command    the container's command: the program, then its arguments
     * @param timeout    the task timeout each run sends
     */
    record Prepared(String jobId, String name, Job job, Map<String, Object> normalised, String hash,
                    List<String> command, Duration timeout) {
    }

    /** Builds the wanted job for {@code flow} from valid settings. */
    static Prepared wanted(CloudRunJobEnvironment env, Flow flow, String project, String region) {
        String jobId = env.jobNameFor(flow);
        String name = "projects/" + project + "/locations/" + region + "/jobs/" + jobId;
        List<String> command = env.commandFor(flow);
        Duration timeout = env.taskTimeout();
        String workingDir = null;
        if (flow.commandSpec().isPresent()) {
            CommandSpec spec = flow.commandSpec().get();
            if (spec.timeout() != null && spec.timeout().compareTo(timeout) < 0) {
                timeout = spec.timeout(); // Cloud Run stops the command at its own timeout, even without a follower
            }
            if (spec.workingDir() != null) {
                workingDir = spec.workingDir().toString();
            }
        }

        Map<String, String> labels = new LinkedHashMap<>(env.jobLabels());
        labels.put(MANAGED_BY, "flowport");
        if (env.jobName() == null) {
            // a job named after one flow says so; a job named by the user may serve several Java flows
            labels.put(FLOW_NAME, labelValue(flow.name()));
        }

        Container.Builder c = Container.newBuilder().setName(CONTAINER).setImage(env.image())
                .addCommand(command.get(0)).addAllArgs(command.subList(1, command.size()))
                .setResources(ResourceRequirements.newBuilder()
                        .putLimits("cpu", cpuLimit(env.cpu()))
                        .putLimits("memory", env.memory().trim()));
        if (workingDir != null) {
            c.setWorkingDir(workingDir);
        }
        Map<String, EnvVar> vars = new TreeMap<>();
        env.env().forEach((k, v) -> vars.put(k, EnvVar.newBuilder().setName(k).setValue(v == null ? "" : v).build()));
        env.secrets().forEach((k, ref) -> vars.put(k, EnvVar.newBuilder().setName(k)
                .setValueSource(EnvVarSource.newBuilder().setSecretKeyRef(secretSelector(ref, project))).build()));
        c.addAllEnv(vars.values());

        TaskTemplate.Builder task = TaskTemplate.newBuilder().addContainers(c)
                .setMaxRetries(env.maxRetries())
                .setTimeout(proto(timeout));
        if (env.serviceAccount() != null) {
            task.setServiceAccount(env.serviceAccount().trim());
        }
        VpcAccess vpc = vpcAccess(env, project, region);
        if (vpc != null) {
            task.setVpcAccess(vpc);
        }
        ExecutionTemplate.Builder execution = ExecutionTemplate.newBuilder().putAllLabels(labels)
                .setTaskCount(env.taskCount()).setTemplate(task);
        if (env.parallelism() != null) {
            execution.setParallelism(env.parallelism());
        }
        Job withoutHash = Job.newBuilder().setName(name).putAllLabels(labels).setTemplate(execution).build();
        Map<String, Object> normalised = normalise(withoutHash, withoutHash);
        String hash = hash(normalised);
        Job job = withoutHash.toBuilder().putLabels(CONTENT_HASH, hash.substring(0, 32)).build();
        return new Prepared(jobId, name, job, normalised, hash, List.copyOf(command), timeout);
    }

    /**
     * {@code job} reduced to what {@code reference} (the wanted job) sets: fields Cloud Run fills with defaults
     * (service account, parallelism) count only when the reference sets them; fields it never fills (command,
     * arguments, variables, VPC access, resources, retries, labels other than its own) always count.
     */
    static Map<String, Object> normalise(Job job, Job reference) {
        Map<String, Object> m = new TreeMap<>();
        m.put("labels", userLabels(job.getLabelsMap()));
        ExecutionTemplate et = job.getTemplate();
        ExecutionTemplate ref = reference.getTemplate();
        m.put("executionLabels", userLabels(et.getLabelsMap()));
        if (ref.getParallelism() != 0) {
            m.put("parallelism", et.getParallelism());
        }
        TaskTemplate t = et.getTemplate();
        List<Object> containers = new ArrayList<>();
        for (Container c : t.getContainersList()) {
            Map<String, Object> cm = new TreeMap<>();
            cm.put("name", c.getName());
            cm.put("image", c.getImage());
            cm.put("command", List.copyOf(c.getCommandList()));
            cm.put("args", List.copyOf(c.getArgsList()));
            cm.put("workingDir", c.getWorkingDir());
            Map<String, String> vars = new TreeMap<>();
            for (EnvVar v : c.getEnvList()) {
                vars.put(v.getName(), v.hasValueSource()
                        ? "secret:" + v.getValueSource().getSecretKeyRef().getSecret() + ":"
                        + v.getValueSource().getSecretKeyRef().getVersion()
                        : "value:" + v.getValue());
            }
            cm.put("env", vars);
            Map<String, String> limits = c.getResources().getLimitsMap();
            cm.put("cpuMillis", CloudRunValidation.cpuMillis(limits.getOrDefault("cpu", "")));
            cm.put("memoryBytes", CloudRunValidation.memoryBytes(limits.getOrDefault("memory", "")));
            containers.add(cm);
        }
        m.put("containers", containers);
        m.put("maxRetries", t.hasMaxRetries() ? t.getMaxRetries() : -1);
        if (!reference.getTemplate().getTemplate().getServiceAccount().isEmpty()) {
            m.put("serviceAccount", t.getServiceAccount());
        }
        VpcAccess refVpc = reference.getTemplate().getTemplate().getVpcAccess();
        if (t.hasVpcAccess() || reference.getTemplate().getTemplate().hasVpcAccess()) {
            // VPC access is never filled in by Cloud Run as a whole, but within it the egress and a network found
            // from the subnetwork are: those count only when set here
            VpcAccess v = t.getVpcAccess();
            Map<String, Object> vm = new TreeMap<>();
            vm.put("connector", lastSegment(v.getConnector()));
            if (refVpc.getEgress() != VpcAccess.VpcEgress.VPC_EGRESS_UNSPECIFIED) {
                vm.put("egress", v.getEgress().name());
            }
            VpcAccess.NetworkInterface refInterface = refVpc.getNetworkInterfacesCount() == 0
                    ? VpcAccess.NetworkInterface.getDefaultInstance() : refVpc.getNetworkInterfaces(0);
            List<Object> interfaces = new ArrayList<>();
            for (VpcAccess.NetworkInterface n : v.getNetworkInterfacesList()) {
                Map<String, Object> nm = new TreeMap<>();
                if (!refInterface.getNetwork().isEmpty()) {
                    nm.put("network", lastSegment(n.getNetwork()));
                }
                if (!refInterface.getSubnetwork().isEmpty()) {
                    nm.put("subnetwork", lastSegment(n.getSubnetwork()));
                }
                nm.put("tags", n.getTagsList().stream().sorted().toList());
                interfaces.add(nm);
            }
            vm.put("interfaces", interfaces);
            m.put("vpc", vm);
        }
        return m;
    }

    /** The differences between two normalised jobs, for the log line that explains an update. */
    static List<String> differences(Map<String, Object> wanted, Map<String, Object> actual) {
        List<String> out = new ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(wanted.keySet());
        keys.addAll(actual.keySet());
        for (String k : keys) {
            if (!java.util.Objects.equals(wanted.get(k), actual.get(k))) {
                out.add(k);
            }
        }
        return out;
    }

    /** SHA-256 of the normalised job's JSON (keys sorted), in hex. */
    static String hash(Map<String, Object> normalised) {
        try {
            return Names.sha256Hex(JSON.writeValueAsBytes(normalised));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot hash a job definition", e);
        }
    }

    /**
     * {@code flowport-<flow name>} as a valid job name (starting with the prefix's letter); a name that would be
     * cut keeps a hash of the flow name, so that two long names do not share a job.
     */
    static String defaultJobName(String flowName) {
        String raw = "flowport-" + flowName;
        String whole = Names.sanitize(raw, UNBOUNDED_DNS_LABEL);
        return whole.length() <= Names.DNS_LABEL.maxLength() ? whole : Names.unique(raw, flowName, Names.DNS_LABEL, 8);
    }

    /** A Google label value: lower case letters, digits, underscores and hyphens, at most 63 characters. */
    static String labelValue(String raw) {
        return Names.sanitize(raw, GOOGLE_LABEL_VALUE);
    }

    /** Labels without the content hash and the labels Cloud Run adds itself. */
    static Map<String, String> userLabels(Map<String, String> labels) {
        Map<String, String> out = new TreeMap<>();
        labels.forEach((k, v) -> {
            if (!CONTENT_HASH.equals(k) && SYSTEM_LABEL_PREFIXES.stream().noneMatch(k::startsWith)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The CPU limit as Cloud Run writes it: whole vCPUs ({@code "2"}). */
    static String cpuLimit(String cpu) {
        long millis = CloudRunValidation.cpuMillis(cpu);
        return millis % 1000 == 0 ? String.valueOf(millis / 1000) : millis + "m";
    }

    /** {@code projects/<p>/secrets/<s>/versions/<v>} as a selector; a secret of this project by its short name. */
    static SecretKeySelector secretSelector(String reference, String project) {
        String[] parts = reference.trim().split("/");
        String secretProject = parts[1];
        String secret = parts[3];
        String version = parts[5];
        return SecretKeySelector.newBuilder()
                .setSecret(secretProject.equals(project) ? secret : "projects/" + secretProject + "/secrets/" + secret)
                .setVersion(version).build();
    }

    private static VpcAccess vpcAccess(CloudRunJobEnvironment env, String project, String region) {
        boolean connector = env.vpcConnector() != null;
        boolean direct = env.vpcNetwork() != null || env.vpcSubnetwork() != null;
        if (!connector && !direct) {
            return null;
        }
        VpcAccess.Builder v = VpcAccess.newBuilder();
        if (connector) {
            String c = env.vpcConnector().trim();
            v.setConnector(c.startsWith("projects/") ? c
                    : "projects/" + project + "/locations/" + region + "/connectors/" + c);
        } else {
            VpcAccess.NetworkInterface.Builder n = VpcAccess.NetworkInterface.newBuilder();
            if (env.vpcNetwork() != null) {
                n.setNetwork(env.vpcNetwork().trim());
            }
            if (env.vpcSubnetwork() != null) {
                n.setSubnetwork(env.vpcSubnetwork().trim());
            }
            n.addAllTags(env.vpcNetworkTags());
            v.addNetworkInterfaces(n);
        }
        if (env.vpcEgress() != null) {
            v.setEgress(VpcAccess.VpcEgress.valueOf(env.vpcEgress().trim()));
        }
        return v.build();
    }

    private static String lastSegment(String s) {
        int i = s.lastIndexOf('/');
        return i < 0 ? s : s.substring(i + 1);
    }

    /** A protobuf duration. */
    static com.google.protobuf.Duration proto(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }
}
