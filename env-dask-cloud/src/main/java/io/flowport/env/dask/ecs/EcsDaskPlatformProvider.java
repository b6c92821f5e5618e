package io.flowport.env.dask.ecs;

import io.flowport.env.dask.DaskSecurity;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskPlatformProvider;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Makes {@link EcsDaskPlatform}s: {@code providerClass: fargate} (Fargate tasks) and {@code ecs} (tasks on the EC2
 * container instances of an ECS cluster). Needs {@code io.flowport:flowport-env-fargate} on the class path; this
 * class loads without it and names it when it is missing.
 */
public final class EcsDaskPlatformProvider implements DaskPlatformProvider {

    private static final String FARGATE_CLASS = "io.flowport.env.fargate.FargateTaskEnvironment";

    /** Found by {@link java.util.ServiceLoader}. */
    public EcsDaskPlatformProvider() {
    }

    @Override
    public Set<String> names() {
        return Set.of("fargate", "ecs");
    }

    @Override
    public Optional<String> missing() {
        try {
            Class.forName(FARGATE_CLASS, false, EcsDaskPlatformProvider.class.getClassLoader());
            return Optional.empty();
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.of("add the dependency io.flowport:flowport-env-fargate (its version comes from"
                    + " io.flowport:flowport-bom)");
        }
    }

    @Override
    public Set<String> knownSettings() {
        return EcsDaskPlatform.SETTINGS;
    }

    @Override
    public List<String> validate(Map<String, Object> s) {
        List<String> problems = new ArrayList<>();
        if (!(s.get("image") instanceof String image) || image.isBlank()) {
            problems.add("image is required: a Dask image whose Python has the same distributed version as the"
                    + " driver's, e.g. ghcr.io/dask/dask:2022.12.1");
        }
        for (String key : List.of("cluster", "regionName", "executionRoleArn", "taskRoleArn", "pythonExecutable",
                "logGroup", "schedulerCpu", "schedulerMemory", "workerCpu", "workerMemory", "platformVersion",
                "cpuArchitecture", "endpointOverride", "driverImage", "driverCpu", "driverMemory")) {
            Object v = s.get(key);
            if (v != null && !(v instanceof String) && !(v instanceof Number)) {
                problems.add(key + " must be text, was " + v);
            }
        }
        for (String key : List.of("subnets", "securityGroups", "driverCommand")) {
            Object v = s.get(key);
            if (v != null && !(v instanceof List<?>)) {
                problems.add(key + " must be a list, e.g. [subnet-0123456789abcdef0]");
            }
        }
        if (s.get("subnets") == null) {
            problems.add("subnets is required: the private subnets the scheduler and workers run in (awsvpc)");
        }
        Object tags = s.get("tags");
        if (tags != null && !(tags instanceof Map<?, ?>)) {
            problems.add("tags must be a map of tag keys to values");
        }
        for (String key : List.of("schedulerPort", "dashboardPort")) {
            Object v = s.get(key);
            if (v != null && (!(v instanceof Number n) || n.intValue() < 1 || n.intValue() > 65535)) {
                problems.add(key + " must be a port number (1-65535), was " + v);
            }
        }
        Object poll = s.get("statusPollInterval");
        if (poll != null) {
            try {
                Duration d = Duration.parse(poll.toString());
                if (d.isNegative() || d.isZero()) {
                    problems.add("statusPollInterval must be positive, was " + poll);
                }
            } catch (DateTimeParseException e) {
                problems.add("statusPollInterval must be an ISO-8601 duration such as PT2S, was " + poll);
            }
        }
        if (problems.isEmpty() && missing().isEmpty()) {
            problems.addAll(EcsDaskPlatform.problems(s));
        }
        return problems;
    }

    @Override
    public Optional<io.flowport.core.spi.BackendEnvironment> driverEnvironment(String name,
                                                                             Map<String, Object> settings,
                                                                             DaskSecurity security) {
        return Optional.of(EcsDaskPlatform.driver(name, settings, security));
    }

    @Override
    public DaskPlatform create(String name, Map<String, Object> settings, DaskSecurity security) {
        return new EcsDaskPlatform(name, settings, security);
    }
}
