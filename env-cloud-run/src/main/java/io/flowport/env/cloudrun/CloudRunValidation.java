package io.flowport.env.cloudrun;

import io.flowport.core.Flow;
import io.flowport.core.RunnerSettings;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every check made before any Cloud Run call; each problem names the setting and the fix. The limits are Cloud
 * Run's documented ones for jobs (CPU and memory pairs, task timeout, retries, task count, names).
 */
final class CloudRunValidation {

    /** A project id (6 to 30 characters), optionally domain-scoped ({@code example.com:my-project}). */
    static final Pattern PROJECT = Pattern.compile("([a-z][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]");
    static final Pattern REGION = Pattern.compile("[a-z]+(-[a-z]+)+[0-9]{1,2}");
    /** A job name: RFC 1035 label, at most 63 characters. */
    static final Pattern JOB_NAME = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
    private static final Pattern CONNECTOR_NAME = Pattern.compile("[a-z][-a-z0-9]{0,23}[a-z0-9]");
    private static final Pattern CONNECTOR = Pattern.compile(
            "projects/[a-z0-9.:-]+/locations/[a-z0-9-]+/connectors/[a-z][-a-z0-9]{0,23}[a-z0-9]");
    private static final Pattern GCE_NAME = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern NETWORK = Pattern.compile(
            "projects/[a-z0-9.:-]+/global/networks/[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern SUBNETWORK = Pattern.compile(
            "projects/[a-z0-9.:-]+/regions/[a-z0-9-]+/subnetworks/[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final Pattern SECRET_REF = Pattern.compile(
            "projects/([a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]+)/secrets/[A-Za-z0-9_-]{1,255}/versions/(latest|[1-9][0-9]*)");
    private static final Pattern LABEL_KEY = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
    private static final Pattern LABEL_VALUE = Pattern.compile("[a-z0-9_-]{0,63}");
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9.-]+:[0-9]{1,5}");
    private static final Pattern CPU = Pattern.compile("([0-9]+(\\.[0-9]+)?)(m?)");
    private static final Pattern MEMORY = Pattern.compile("([0-9]+(\\.[0-9]+)?)(Ki|Mi|Gi|k|K|M|G)?");
    /** Variables Cloud Run sets in every task of a job. */
    static final Set<String> RESERVED_VARIABLES = Set.of("CLOUD_RUN_JOB", "CLOUD_RUN_EXECUTION",
            "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_ATTEMPT", "CLOUD_RUN_TASK_COUNT", "PORT");
    /** Cloud Run's longest task timeout for jobs. */
    static final Duration MAX_TASK_TIMEOUT = Duration.ofHours(168);
    /** Cloud Run's limit on one variable's value. */
    static final int MAX_VARIABLE_CHARS = 32 * 1024;
    private static final long MI = 1024L * 1024;
    private static final long GI = 1024L * MI;
    /** Allowed vCPU (in millis) and the memory each allows (bytes, inclusive), from Cloud Run's job docs. */
    private static final Map<Long, long[]> CPU_MEMORY = Map.of(
            1000L, new long[]{512 * MI, 4 * GI},
            2000L, new long[]{512 * MI, 8 * GI},
            4000L, new long[]{2 * GI, 16 * GI},
            6000L, new long[]{4 * GI, 24 * GI},
            8000L, new long[]{4 * GI, 32 * GI});

    private CloudRunValidation() {
    }

    static List<String> problems(CloudRunJobEnvironment e, Flow flow) {
        List<String> p = new ArrayList<>();
        String project = e.resolvedProject().orElse(null);
        if (project == null) {
            p.add("project: no Google Cloud project; set project, or the GOOGLE_CLOUD_PROJECT environment variable");
        } else if (!PROJECT.matcher(project).matches()) {
            p.add("project: '" + project + "' is not a project id; expected 6 to 30 lower case letters, digits and "
                    + "hyphens, starting with a letter (the id, not the display name or number)");
        }
        String region = e.resolvedRegion().orElse(null);
        if (region == null) {
            p.add("region: no Cloud Run region; set region, or GOOGLE_CLOUD_REGION (e.g. europe-west1)");
        } else if (!REGION.matcher(region).matches()) {
            p.add("region: '" + region + "' is not a region name; expected e.g. us-central1 or europe-west4");
        }
        if (e.jobName() != null && !JOB_NAME.matcher(e.jobName()).matches()) {
            p.add("jobName: '" + e.jobName() + "' is not a valid job name; use 1 to 63 lower case letters, digits "
                    + "and hyphens, starting with a letter and not ending with a hyphen");
        }
        if (e.jobName() == null && flow != null && !JOB_NAME.matcher(e.jobNameFor(flow)).matches()) {
            p.add("jobName: the default job name '" + e.jobNameFor(flow) + "' is invalid; set jobName");
        }
        if (e.image() == null || e.image().isBlank()) {
            p.add("image: required; the container image that runs the flow, e.g. "
                    + "europe-docker.pkg.dev/my-project/flows/etl:1.0");
        } else if (!e.image().trim().matches("\\S+")) {
            p.add("image: '" + e.image() + "' contains white space");
        }
        resources(e, p);
        Duration t = e.taskTimeout();
        if (t == null || t.compareTo(Duration.ofSeconds(1)) < 0 || t.compareTo(MAX_TASK_TIMEOUT) > 0) {
            p.add("taskTimeout: must be between 1 second and 168 hours (Cloud Run's limit for job tasks), was " + t);
        }
        if (e.maxRetries() < 0 || e.maxRetries() > 10) {
            p.add("maxRetries: must be 0 to 10 (Cloud Run's limit), was " + e.maxRetries());
        }
        if (e.taskCount() < 1 || e.taskCount() > 10_000) {
            p.add("taskCount: must be 1 to 10000, was " + e.taskCount());
        }
        if (e.parallelism() != null && (e.parallelism() < 0 || e.parallelism() > Math.max(1, e.taskCount()))) {
            p.add("parallelism: must be 0 (as many as possible) to taskCount (" + e.taskCount() + "), was "
                    + e.parallelism());
        }
        if (e.serviceAccount() != null && !EMAIL.matcher(e.serviceAccount().trim()).matches()) {
            p.add("serviceAccount: '" + e.serviceAccount() + "' is not a service account email, e.g. "
                    + "flows@my-project.iam.gserviceaccount.com");
        }
        vpc(e, p);
        variables(e, flow, p);
        labels(e, p);
        if (e.runnerCommandSetting() != null && (e.runnerCommandSetting().isEmpty()
                || e.runnerCommandSetting().get(0) == null || e.runnerCommandSetting().get(0).isBlank())) {
            p.add("runnerCommand: empty; give the program and its arguments, or remove it for the default "
                    + String.join(" ", RunnerSettings.DEFAULT_CONTAINER_COMMAND));
        }
        if (e.endpoint() != null && !ENDPOINT.matcher(e.endpoint().trim()).matches()) {
            p.add("endpoint: '" + e.endpoint() + "' is not host:port, e.g. run.googleapis.com:443 or "
                    + "europe-west1-run.googleapis.com:443");
        }
        if (!(e.launchesPerSecond() >= 0) || Double.isInfinite(e.launchesPerSecond())) {
            p.add("launchesPerSecond: must be >= 0 (0 = no pacing), was " + e.launchesPerSecond());
        }
        if (!(e.readsPerSecond() > 0) || Double.isInfinite(e.readsPerSecond())) {
            p.add("readsPerSecond: must be > 0, was " + e.readsPerSecond());
        }
        if (e.sdkMaxAttempts() < 1 || e.sdkMaxAttempts() > 10) {
            p.add("sdkMaxAttempts: must be 1 to 10 (1 = no retry by the client library), was " + e.sdkMaxAttempts());
        }
        if (e.requestTimeout() == null || e.requestTimeout().isZero() || e.requestTimeout().isNegative()) {
            p.add("requestTimeout: must be a positive duration, was " + e.requestTimeout());
        }
        if (e.operationPollInterval() == null || e.operationPollInterval().isZero()
                || e.operationPollInterval().isNegative()) {
            p.add("operationPollInterval: must be a positive duration, was " + e.operationPollInterval());
        }
        return p;
    }

    private static void resources(CloudRunJobEnvironment e, List<String> p) {
        long cpu = cpuMillis(e.cpu());
        long memory = memoryBytes(e.memory());
        if (cpu < 0) {
            p.add("cpu: '" + e.cpu() + "' is not a CPU amount; use 1, 2, 4, 6 or 8 (vCPU)");
        } else if (!CPU_MEMORY.containsKey(cpu)) {
            p.add("cpu: Cloud Run jobs take 1, 2, 4, 6 or 8 vCPU, was " + e.cpu());
        }
        if (memory < 0) {
            p.add("memory: '" + e.memory() + "' is not a memory amount; use e.g. 512Mi, 2Gi");
        } else if (memory < 512 * MI || memory > 32 * GI) {
            p.add("memory: must be 512Mi to 32Gi for Cloud Run jobs, was " + e.memory());
        }
        long[] range = CPU_MEMORY.get(cpu);
        if (range != null && memory >= 512 * MI && memory <= 32 * GI && (memory < range[0] || memory > range[1])) {
            p.add("cpu/memory: " + cpu / 1000 + " vCPU takes " + human(range[0]) + " to " + human(range[1])
                    + " of memory, was " + e.memory() + "; " + fix(memory));
        }
    }

    /** Which CPU counts allow this memory. */
    private static String fix(long memory) {
        List<String> cpus = new ArrayList<>();
        CPU_MEMORY.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(en -> {
            if (memory >= en.getValue()[0] && memory <= en.getValue()[1]) {
                cpus.add(String.valueOf(en.getKey() / 1000));
            }
        });
        return "with that memory use cpu " + String.join(", ", cpus);
    }

    private static String human(long bytes) {
        return bytes % GI == 0 ? bytes / GI + "Gi" : bytes / MI + "Mi";
    }

    private static void vpc(CloudRunJobEnvironment e, List<String> p) {
        boolean connector = e.vpcConnector() != null;
        boolean direct = e.vpcNetwork() != null || e.vpcSubnetwork() != null;
        if (connector && direct) {
            p.add("vpcConnector/vpcNetwork/vpcSubnetwork: use either a Serverless VPC Access connector or Direct VPC "
                    + "egress (network/subnetwork), not both");
        }
        if (connector && !(CONNECTOR_NAME.matcher(e.vpcConnector().trim()).matches()
                || CONNECTOR.matcher(e.vpcConnector().trim()).matches())) {
            p.add("vpcConnector: '" + e.vpcConnector() + "' is not a connector name (up to 25 lower case letters, "
                    + "digits and hyphens) or projects/<project>/locations/<region>/connectors/<name>");
        }
        if (e.vpcNetwork() != null && !(GCE_NAME.matcher(e.vpcNetwork().trim()).matches()
                || NETWORK.matcher(e.vpcNetwork().trim()).matches())) {
            p.add("vpcNetwork: '" + e.vpcNetwork() + "' is not a network name or projects/<project>/global/networks/"
                    + "<name>");
        }
        if (e.vpcSubnetwork() != null && !(GCE_NAME.matcher(e.vpcSubnetwork().trim()).matches()
                || SUBNETWORK.matcher(e.vpcSubnetwork().trim()).matches())) {
            p.add("vpcSubnetwork: '" + e.vpcSubnetwork() + "' is not a subnetwork name or projects/<project>/regions/"
                    + "<region>/subnetworks/<name>");
        }
        if (!e.vpcNetworkTags().isEmpty() && !direct) {
            p.add("vpcNetworkTags: only apply to Direct VPC egress; set vpcNetwork or vpcSubnetwork, or remove them");
        }
        for (String tag : e.vpcNetworkTags()) {
            if (tag == null || !GCE_NAME.matcher(tag).matches()) {
                p.add("vpcNetworkTags: '" + tag + "' is not a network tag (lower case letters, digits, hyphens)");
            }
        }
        if (e.vpcEgress() != null) {
            if (!Set.of("ALL_TRAFFIC", "PRIVATE_RANGES_ONLY").contains(e.vpcEgress().trim())) {
                p.add("vpcEgress: '" + e.vpcEgress() + "' is not ALL_TRAFFIC or PRIVATE_RANGES_ONLY");
            }
            if (!connector && !direct) {
                p.add("vpcEgress: needs VPC access; set vpcConnector, or vpcNetwork/vpcSubnetwork for Direct VPC");
            }
        }
    }

    private static void variables(CloudRunJobEnvironment e, Flow flow, List<String> p) {
        for (Map.Entry<String, String> v : e.env().entrySet()) {
            variableName("env", v.getKey(), p);
            if (v.getValue() != null && v.getValue().length() > MAX_VARIABLE_CHARS) {
                p.add("env: the value of " + v.getKey() + " is " + v.getValue().length()
                        + " characters; Cloud Run takes at most " + MAX_VARIABLE_CHARS);
            }
            if (e.secrets().containsKey(v.getKey())) {
                p.add("env/secrets: " + v.getKey() + " is in both; a variable is either a plain value or a secret");
            }
        }
        for (Map.Entry<String, String> s : e.secrets().entrySet()) {
            variableName("secrets", s.getKey(), p);
            String ref = s.getValue() == null ? "" : s.getValue().trim();
            if (!SECRET_REF.matcher(ref).matches()) {
                // never echo what was given: it may be the secret's value put here by mistake
                p.add("secrets: " + s.getKey() + " must be a Secret Manager reference "
                        + "projects/<project>/secrets/<secret>/versions/<version or latest>, not a value");
            }
        }
        if (flow != null) {
            flow.commandSpec().ifPresent(c -> c.environment().keySet()
                    .forEach(name -> variableName("the command flow's environment", name, p)));
        }
    }

    private static void variableName(String field, String name, List<String> p) {
        if (name == null || !ENV_NAME.matcher(name).matches()) {
            p.add(field + ": '" + name + "' is not a variable name (letters, digits and underscores, not starting "
                    + "with a digit)");
        } else if (RESERVED_VARIABLES.contains(name)) {
            p.add(field + ": " + name + " is set by Cloud Run itself; choose another name");
        } else if (name.startsWith("FLOWPORT__") || name.equals(CloudRunBackend.LAUNCH_VARIABLE)) {
            p.add(field + ": " + name + " is set by Flowport for each run; choose another name");
        }
    }

    private static void labels(CloudRunJobEnvironment e, List<String> p) {
        for (Map.Entry<String, String> l : e.jobLabels().entrySet()) {
            String k = l.getKey();
            String v = l.getValue() == null ? "" : l.getValue();
            if (k == null || !LABEL_KEY.matcher(k).matches()) {
                p.add("jobLabels: key '" + k + "' is invalid; use 1 to 63 lower case letters, digits, underscores "
                        + "and hyphens, starting with a letter");
            } else if (k.startsWith("flowport-") || k.startsWith("goog")) {
                p.add("jobLabels: key '" + k + "' is reserved (flowport- keys are Flowport's, goog keys Google's)");
            }
            if (!LABEL_VALUE.matcher(v).matches()) {
                p.add("jobLabels: value '" + v + "' of " + k + " is invalid; use up to 63 lower case letters, digits, "
                        + "underscores and hyphens");
            }
        }
        if (e.jobLabels().size() > 61) {
            p.add("jobLabels: at most 61 (Cloud Run takes 64 labels and Flowport adds 3), was " + e.jobLabels().size());
        }
    }

    /** CPU in millis ({@code "2"} → 2000, {@code "1000m"} → 1000), or -1 if it is not a CPU amount. */
    static long cpuMillis(String cpu) {
        if (cpu == null) {
            return -1;
        }
        Matcher m = CPU.matcher(cpu.trim());
        if (!m.matches()) {
            return -1;
        }
        BigDecimal n = new BigDecimal(m.group(1));
        BigDecimal millis = m.group(3).isEmpty() ? n.multiply(BigDecimal.valueOf(1000)) : n;
        try {
            return millis.longValueExact();
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** Memory in bytes ({@code "512Mi"}, {@code "2Gi"}, {@code "1G"}), or -1 if it is not a memory amount. */
    static long memoryBytes(String memory) {
        if (memory == null) {
            return -1;
        }
        Matcher m = MEMORY.matcher(memory.trim());
        if (!m.matches()) {
            return -1;
        }
        String unit = m.group(3) == null ? "" : m.group(3);
        long factor = switch (unit) {
            case "Ki" -> 1024L;
            case "Mi" -> MI;
            case "Gi" -> GI;
            case "k", "K" -> 1000L;
            case "M" -> 1000L * 1000;
            case "G" -> 1000L * 1000 * 1000;
            default -> 1L;
        };
        try {
            return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(factor)).setScale(0,
                    java.math.RoundingMode.CEILING).longValueExact();
        } catch (ArithmeticException e) {
            return -1;
        }
    }
}
