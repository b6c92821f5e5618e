package io.flowport.env.aci;

import io.flowport.core.Flow;
import io.flowport.core.RunnerSettings;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every check made before any Azure call; each problem names the setting and the fix. Limits that depend on the
 * location (what a region offers) are checked against ACI's location capabilities when the environment is set
 * up, before anything is created ({@link ContainerInstanceBackend#prepare}).
 */
final class AciValidation {

    private static final String GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    private static final Pattern GUID_PATTERN = Pattern.compile(GUID);
    private static final Pattern TENANT_DOMAIN = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");
    private static final Pattern LOCATION = Pattern.compile("[a-z][a-z0-9]{2,39}");
    private static final String RG = "[^/]{1,90}";
    private static final Pattern SUBNET_ID = Pattern.compile("/subscriptions/" + GUID + "/resourceGroups/" + RG
            + "/providers/Microsoft\\.Network/virtualNetworks/[^/]{2,64}/subnets/[^/]{1,80}", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDENTITY_ID = Pattern.compile("/subscriptions/" + GUID + "/resourceGroups/" + RG
            + "/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/[^/]{3,128}", Pattern.CASE_INSENSITIVE);
    private static final Pattern REGISTRY_SERVER = Pattern.compile(
            "[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:\\d{1,5})?");
    private static final Pattern ACR_SERVER = Pattern.compile("[a-z0-9]{5,50}\\.azurecr\\.(io|cn|us)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:]{2,39}");
    private static final Set<String> CLOUDS = Set.of("AZURE", "AZURE_CHINA", "AZURE_US_GOVERNMENT");
    private static final Set<String> RETIRED_GPUS = Set.of("K80", "P100");
    /** vCPU and memory (GB) limits of a standard container group without GPU (ACI's documented maximum). */
    static final double MAX_CPU = 4;
    static final double MAX_MEMORY_GB = 16;
    private static final int MAX_TAG_VALUE = 256;

    private AciValidation() {
    }

    static List<String> problems(ContainerInstanceEnvironment e, Flow flow) {
        List<String> p = new ArrayList<>(e.settingProblems());
        Map<String, String> sys = e.systemEnvironment();
        if (e.subscriptionId() == null) {
            p.add("subscriptionId: missing; set subscriptionId or the " + ContainerInstanceEnvironment.SUBSCRIPTION_VARIABLE
                    + " environment variable");
        } else if (!GUID_PATTERN.matcher(e.subscriptionId()).matches()) {
            p.add("subscriptionId: '" + e.subscriptionId() + "' is not a subscription id (a GUID such as "
                    + "00000000-0000-0000-0000-000000000000)");
        }
        if (e.tenantId() != null && !GUID_PATTERN.matcher(e.tenantId()).matches()
                && !TENANT_DOMAIN.matcher(e.tenantId()).matches()) {
            p.add("tenantId: '" + e.tenantId() + "' is not a tenant id (a GUID or a domain such as "
                    + "contoso.onmicrosoft.com)");
        }
        if (e.resourceGroup() == null) {
            p.add("resourceGroup: missing; set resourceGroup or " + ContainerInstanceEnvironment.ENV_PREFIX
                    + "RESOURCE_GROUP (the group must exist)");
        } else if (!AciNames.isResourceGroup(e.resourceGroup())) {
            p.add("resourceGroup: '" + e.resourceGroup() + "' is not a valid resource group name; use 1 to 90 "
                    + "letters, digits, underscores, periods, parentheses and hyphens, not ending with a period");
        }
        location(e.location(), p);
        if (e.image() == null || e.image().isBlank()) {
            p.add("image: missing; set the flow container's image (or " + ContainerInstanceEnvironment.ENV_PREFIX
                    + "IMAGE)");
        } else if (e.image().chars().anyMatch(Character::isWhitespace)) {
            p.add("image: '" + e.image() + "' contains whitespace");
        }
        if (!AciNames.isDnsLabel(e.containerName())) {
            p.add("containerName: '" + e.containerName() + "' is invalid; use 1 to 63 lowercase letters, digits and "
                    + "single hyphens, not starting or ending with a hyphen");
        }
        if (!AciNames.isDnsLabel(e.groupNamePrefix()) || e.groupNamePrefix().length() > AciNames.MAX_PREFIX) {
            p.add("groupNamePrefix: '" + e.groupNamePrefix() + "' is invalid; use 1 to " + AciNames.MAX_PREFIX
                    + " lowercase letters, digits and single hyphens, not starting or ending with a hyphen (each "
                    + "container group is named <prefix>-<flow run id>)");
        }
        boolean linux = "Linux".equals(e.osType());
        if (!linux && !"Windows".equals(e.osType())) {
            p.add("osType: '" + e.osType() + "' is not Linux or Windows");
        }
        if (!"Never".equals(e.restartPolicy())) {
            p.add("restartPolicy: '" + e.restartPolicy() + "' is not supported; a flow run runs once, so the only "
                    + "policy is Never (remove the setting)");
        }
        resources(e, linux, p);
        network(e, p);
        identities(e, p);
        registries(e, sys, p);
        variables(e, sys, flow, p);
        tags(e, p);
        if (e.runnerCommandSetting() != null && (e.runnerCommandSetting().isEmpty()
                || e.runnerCommandSetting().get(0) == null || e.runnerCommandSetting().get(0).isBlank())) {
            p.add("runnerCommand: empty; give the program and its arguments, or remove it for the default "
                    + String.join(" ", RunnerSettings.DEFAULT_CONTAINER_COMMAND));
        }
        if (flow != null && flow.commandSpec().isPresent() && flow.commandSpec().get().command().isEmpty()) {
            p.add("flow '" + flow.name() + "': the command flow has an empty command");
        }
        endpoint(e, p);
        positive("requestTimeout", e.requestTimeout(), p);
        positive("deleteTimeout", e.deleteTimeout(), p);
        positive("lroPollInterval", e.lroPollInterval(), p);
        if (e.lroPollInterval() != null && e.deleteTimeout() != null
                && e.lroPollInterval().compareTo(e.deleteTimeout()) > 0) {
            p.add("lroPollInterval: " + e.lroPollInterval() + " is longer than deleteTimeout " + e.deleteTimeout());
        }
        if (e.sdkMaxRetries() < 0 || e.sdkMaxRetries() > 10) {
            p.add("sdkMaxRetries: must be 0 to 10, was " + e.sdkMaxRetries());
        }
        if (!(e.readsPerSecond() > 0) || Double.isInfinite(e.readsPerSecond())) {
            p.add("readsPerSecond: must be a positive number (ARM allows a subscription 25 reads/s, or 12,000 an "
                    + "hour on the older limits), was " + e.readsPerSecond());
        }
        if (!(e.launchesPerSecond() >= 0) || Double.isInfinite(e.launchesPerSecond())) {
            p.add("launchesPerSecond: must be >= 0 (0 = no pacing), was " + e.launchesPerSecond());
        }
        return p;
    }

    private static void location(String location, List<String> p) {
        if (location == null) {
            p.add("location: missing; set the Azure location, e.g. westeurope (or "
                    + ContainerInstanceEnvironment.ENV_PREFIX + "LOCATION)");
        } else if (!LOCATION.matcher(location).matches()) {
            String hint = location.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
            p.add("location: '" + location + "' is not an Azure location name; use the lowercase name without "
                    + "spaces" + (LOCATION.matcher(hint).matches() ? ", e.g. '" + hint + "'" : " such as westeurope"));
        }
    }

    private static void resources(ContainerInstanceEnvironment e, boolean linux, List<String> p) {
        double maxCpu = MAX_CPU;
        double maxMemory = MAX_MEMORY_GB;
        Gpu gpu = e.gpu();
        if (gpu != null) {
            String sku = gpu.sku() == null ? null : gpu.sku().trim().toUpperCase(Locale.ROOT);
            if (sku == null || sku.isEmpty()) {
                p.add("gpu.sku: missing; use V100");
            } else if (RETIRED_GPUS.contains(sku)) {
                p.add("gpu.sku: " + sku + " was retired by Azure Container Instances in 2023; use V100");
            } else if (!"V100".equals(sku)) {
                p.add("gpu.sku: '" + gpu.sku() + "' is not a GPU of Azure Container Instances; use V100");
            }
            if (gpu.count() != 1 && gpu.count() != 2 && gpu.count() != 4) {
                p.add("gpu.count: must be 1, 2 or 4, was " + gpu.count());
            } else {
                // per GPU: 6 vCPUs and 112 GB (ACI's V100 limits)
                maxCpu = 6.0 * gpu.count();
                maxMemory = 112.0 * gpu.count();
            }
            if (!linux) {
                p.add("gpu: GPUs are offered to Linux container groups only; remove gpu or use osType Linux");
            }
            if (!e.subnetIds().isEmpty()) {
                p.add("gpu: container groups with GPUs cannot be deployed into a virtual network; remove gpu or "
                        + "subnetIds");
            }
        }
        if (!(e.cpu() > 0)) {
            p.add("cpu: must be more than 0 vCPUs, was " + e.cpu());
        } else {
            if (!oneDecimal(e.cpu())) {
                p.add("cpu: " + e.cpu() + " has more than one decimal place; ACI takes vCPUs such as 0.5, 1 or 1.5");
            }
            if (e.cpu() > maxCpu) {
                p.add("cpu: " + e.cpu() + " vCPUs is more than a container group " + (gpu == null ? "without GPU"
                        : "with " + gpu.count() + " GPU(s)") + " can have (" + fmt(maxCpu) + ")");
            }
        }
        if (!(e.memoryInGb() > 0)) {
            p.add("memoryInGb: must be more than 0 GB, was " + e.memoryInGb());
        } else {
            if (!oneDecimal(e.memoryInGb())) {
                p.add("memoryInGb: " + e.memoryInGb() + " has more than one decimal place; ACI takes GB such as "
                        + "0.5, 1.5 or 2");
            }
            if (e.memoryInGb() > maxMemory) {
                p.add("memoryInGb: " + e.memoryInGb() + " GB is more than a container group " + (gpu == null
                        ? "without GPU" : "with " + gpu.count() + " GPU(s)") + " can have (" + fmt(maxMemory) + ")");
            }
        }
    }

    private static void network(ContainerInstanceEnvironment e, List<String> p) {
        Set<String> seen = new HashSet<>();
        for (String s : e.subnetIds()) {
            if (s == null || !SUBNET_ID.matcher(s).matches()) {
                p.add("subnetIds: '" + s + "' is not a subnet resource id; expected /subscriptions/<id>/"
                        + "resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>");
            } else if (!seen.add(s.toLowerCase(Locale.ROOT))) {
                p.add("subnetIds: '" + s + "' is listed twice");
            }
        }
        DnsConfig dns = e.dnsConfig();
        if (dns != null) {
            if (dns.nameServers().isEmpty()) {
                p.add("dnsConfig.nameServers: at least one DNS server IP address is needed");
            }
            for (String ns : dns.nameServers()) {
                if (!isIpAddress(ns)) {
                    p.add("dnsConfig.nameServers: '" + ns + "' is not an IP address");
                }
            }
        }
    }

    private static void identities(ContainerInstanceEnvironment e, List<String> p) {
        Set<String> seen = new HashSet<>();
        for (String id : e.userAssignedIdentities()) {
            if (id == null || !IDENTITY_ID.matcher(id).matches()) {
                p.add("userAssignedIdentities: '" + id + "' is not a user-assigned identity resource id; expected "
                        + "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/"
                        + "userAssignedIdentities/<name>");
            } else if (!seen.add(id.toLowerCase(Locale.ROOT))) {
                p.add("userAssignedIdentities: '" + id + "' is listed twice");
            }
        }
    }

    private static void registries(ContainerInstanceEnvironment e, Map<String, String> sys, List<String> p) {
        Set<String> servers = new HashSet<>();
        Set<String> identities = new HashSet<>();
        e.userAssignedIdentities().forEach(i -> identities.add(i == null ? null : i.toLowerCase(Locale.ROOT)));
        List<RegistryCredential> creds = e.imageRegistryCredentials();
        for (int i = 0; i < creds.size(); i++) {
            RegistryCredential c = creds.get(i);
            String at = "imageRegistryCredentials[" + i + "]";
            if (c == null) {
                p.add(at + ": null credential");
                continue;
            }
            if (c.server() == null || !REGISTRY_SERVER.matcher(c.server()).matches()) {
                p.add(at + ".server: '" + c.server() + "' is not a registry host such as myregistry.azurecr.io");
            } else if (!servers.add(c.server().toLowerCase(Locale.ROOT))) {
                p.add(at + ".server: " + c.server() + " has two credentials; give one per registry");
            }
            boolean password = c.username() != null || c.passwordSecret() != null;
            if (c.identity() != null && password) {
                p.add(at + ": give either identity (Azure Container Registry) or username and passwordSecret, not "
                        + "both");
            } else if (c.identity() != null) {
                if (!IDENTITY_ID.matcher(c.identity()).matches()) {
                    p.add(at + ".identity: '" + c.identity() + "' is not a user-assigned identity resource id");
                } else if (!identities.contains(c.identity().toLowerCase(Locale.ROOT))) {
                    p.add(at + ".identity: the identity must also be in userAssignedIdentities (ACI pulls with an "
                            + "identity assigned to the group; a system-assigned one does not exist yet at pull time)");
                }
                if (c.server() != null && !ACR_SERVER.matcher(c.server()).matches()) {
                    p.add(at + ".identity: pulling with a managed identity works with Azure Container Registry "
                            + "(<name>.azurecr.io) only; use username and passwordSecret for " + c.server());
                }
            } else if (!password) {
                p.add(at + ": no way to sign in; give identity (Azure Container Registry) or username and "
                        + "passwordSecret");
            } else {
                if (c.username() == null || c.username().isBlank()) {
                    p.add(at + ".username: missing (passwordSecret needs a username)");
                }
                String problem = SecretReferences.problem(at + ".passwordSecret", c.passwordSecret(), sys);
                if (problem != null) {
                    p.add(problem);
                }
            }
        }
    }

    private static void variables(ContainerInstanceEnvironment e, Map<String, String> sys, Flow flow, List<String> p) {
        Set<String> names = new HashSet<>();
        checkNames("environmentVariables", e.environmentVariables(), names, p);
        checkNames("secureEnvironmentVariables", e.secureEnvironmentVariables(), names, p);
        checkNames("secureEnvironmentVariable", e.secureValues(), names, p);
        e.secureEnvironmentVariables().forEach((name, ref) -> {
            String problem = SecretReferences.problem("secureEnvironmentVariables." + name, ref, sys);
            if (problem != null) {
                p.add(problem);
            }
        });
        if (flow != null) {
            flow.commandSpec().ifPresent(c -> c.environment().keySet().forEach(n -> {
                if (names.contains(n)) {
                    p.add("flow '" + flow.name() + "': its command sets " + n + ", which the environment sets too; "
                            + "remove one");
                }
            }));
        }
    }

    private static void checkNames(String field, Map<String, String> vars, Set<String> names, List<String> p) {
        vars.forEach((name, value) -> {
            if (name == null || name.isBlank() || name.contains("=")) {
                p.add(field + ": '" + name + "' is not a variable name");
            } else if (name.startsWith("FLOWPORT__")) {
                p.add(field + ": " + name + " is set by Flowport for each run; remove it");
            } else if (!names.add(name)) {
                p.add(field + ": " + name + " is set twice (plain and secure variables share one namespace)");
            }
            if (value == null) {
                p.add(field + ": " + name + " has no value");
            }
        });
    }

    private static void tags(ContainerInstanceEnvironment e, List<String> p) {
        int room = AciNames.MAX_TAGS - AciNames.FLOWPORT_TAGS;
        if (e.tags().size() > room) {
            p.add("tags: Azure takes at most " + AciNames.MAX_TAGS + " tags and Flowport adds "
                    + AciNames.FLOWPORT_TAGS + "; give at most " + room + ", was " + e.tags().size());
        }
        e.tags().forEach((k, v) -> {
            if (!AciNames.isTagName(k)) {
                p.add("tags: name '" + k + "' is invalid; use 1 to 512 characters without < > % & \\ ? /");
            } else if (k.toLowerCase(Locale.ROOT).startsWith("flowport.io")) {
                p.add("tags: name '" + k + "' uses the prefix flowport.io, which Flowport sets itself");
            }
            if (v == null || v.length() > MAX_TAG_VALUE) {
                p.add("tags: value of '" + k + "' must be 0 to " + MAX_TAG_VALUE + " characters");
            }
        });
    }

    private static void endpoint(ContainerInstanceEnvironment e, List<String> p) {
        if (!CLOUDS.contains(e.cloud())) {
            p.add("cloud: '" + e.cloud() + "' is not AZURE, AZURE_CHINA or AZURE_US_GOVERNMENT");
        }
        URI u = e.resourceManagerEndpoint();
        if (u == null) {
            return;
        }
        if (!u.isAbsolute() || u.getHost() == null
                || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
            p.add("resourceManagerEndpoint: '" + u + "' is not an absolute https URL");
        } else if ("http".equals(u.getScheme())) {
            if (!isLoopback(u.getHost())) {
                p.add("resourceManagerEndpoint: plain http is accepted for local test servers on the loopback "
                        + "interface only (credentials are never sent over http); use https for " + u.getHost());
            } else if (e.credential() != null) {
                p.add("credential: no credential is sent to the plain-http endpoint " + u + "; remove credential or "
                        + "use an https endpoint");
            }
        }
    }

    /** Whether an http endpoint is on this machine (the only place a credential-less http endpoint may be). */
    static boolean isLoopback(String host) {
        if ("localhost".equalsIgnoreCase(host)) {
            return true;
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!isIpAddress(h)) {
            return false; // no DNS lookup during validation
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (java.net.UnknownHostException ex) {
            return false;
        }
    }

    private static boolean isIpAddress(String s) {
        return s != null && (IPV4.matcher(s).matches() || (s.contains(":") && IPV6.matcher(s).matches()));
    }

    private static boolean oneDecimal(double v) {
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().scale() <= 1;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static void positive(String field, Duration d, List<String> p) {
        if (d == null || d.isZero() || d.isNegative()) {
            p.add(field + ": must be a positive duration, was " + d);
        }
    }
}
