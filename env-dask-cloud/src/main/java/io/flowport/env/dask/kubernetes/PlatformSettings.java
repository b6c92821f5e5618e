package io.flowport.env.dask.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The provider settings of the {@code kubernetes} Dask platform, read from the engine's settings map. Type
 * problems are collected, not thrown. fabric8-free.
 *
 * @param namespace        the namespace, or null (the scheduler spec's, else the kubeconfig's, else default)
 * @param schedulerSpec    the scheduler pod's YAML, or null for the default
 * @param schedulerSource  where it came from, for messages
 * @param workerSpec       the worker pod's YAML, or null for the default
 * @param workerSource     where it came from, for messages
 * @param image            the image of both pods' first container, or null to keep the specs'
 * @param imagePullSecrets secrets added to both pods' image pull secrets
 * @param python           the Python that runs Dask in the image
 * @param serviceAddress   whether workers and the driver reach the scheduler through its Service's DNS name
 *                         (else through the scheduler pod's IP)
 */
record PlatformSettings(String namespace, String schedulerSpec, String schedulerSource, String workerSpec,
                        String workerSource, String image, List<String> imagePullSecrets, String python,
                        boolean serviceAddress) {

    static final String NAMESPACE = "namespace";
    static final String SCHEDULER_SPEC = "schedulerSpec";
    static final String SCHEDULER_SPEC_SOURCE = "schedulerSpecSource";
    static final String WORKER_SPEC = "workerSpec";
    static final String WORKER_SPEC_SOURCE = "workerSpecSource";
    static final String IMAGE = "image";
    static final String IMAGE_PULL_SECRETS = "imagePullSecrets";
    static final String PYTHON = "podPython";
    static final String SCHEDULER_ADDRESS = "schedulerAddress";
    /** The settings of this platform beyond the engine's common ones. */
    static final Set<String> KNOWN = Set.of(NAMESPACE, SCHEDULER_SPEC, SCHEDULER_SPEC_SOURCE, WORKER_SPEC,
            WORKER_SPEC_SOURCE, IMAGE_PULL_SECRETS, PYTHON, SCHEDULER_ADDRESS);
    /** The Python of the default image ({@code ghcr.io/dask/dask}). */
    static final String DEFAULT_PYTHON = "python";

    PlatformSettings {
        imagePullSecrets = List.copyOf(imagePullSecrets);
    }

    /** Reads the settings; problems (wrong types) go to {@code problems}, naming the setting. */
    static PlatformSettings from(Map<String, Object> s, List<String> problems) {
        String address = text(s, SCHEDULER_ADDRESS, problems);
        boolean service = false;
        if (address != null) {
            switch (address.trim().toLowerCase(Locale.ROOT)) {
                case "service" -> service = true;
                case "pod-ip" -> service = false;
                default -> problems.add(SCHEDULER_ADDRESS + " must be 'pod-ip' or 'service', was '" + address + "'");
            }
        }
        List<String> secrets = new ArrayList<>();
        Object ps = s.get(IMAGE_PULL_SECRETS);
        if (ps instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof String name) {
                    secrets.add(name);
                } else {
                    problems.add(IMAGE_PULL_SECRETS + " must be a list of secret names, found " + o);
                }
            }
        } else if (ps instanceof String csv) {
            for (String name : csv.split(",")) {
                if (!name.isBlank()) {
                    secrets.add(name.trim());
                }
            }
        } else if (ps != null) {
            problems.add(IMAGE_PULL_SECRETS + " must be a list of secret names, was " + ps);
        }
        String python = text(s, PYTHON, problems);
        if (python != null && python.isBlank()) {
            problems.add(PYTHON + " must not be blank: the Python of the image that has Dask's distributed package");
        }
        String schedulerSpec = text(s, SCHEDULER_SPEC, problems);
        String workerSpec = text(s, WORKER_SPEC, problems);
        String schedulerSource = text(s, SCHEDULER_SPEC_SOURCE, problems);
        String workerSource = text(s, WORKER_SPEC_SOURCE, problems);
        return new PlatformSettings(text(s, NAMESPACE, problems), schedulerSpec,
                schedulerSource != null ? schedulerSource : schedulerSpec != null ? SCHEDULER_SPEC
                        : "the default scheduler spec",
                workerSpec, workerSource != null ? workerSource : workerSpec != null ? WORKER_SPEC
                        : "the default worker spec",
                text(s, IMAGE, problems), secrets, python == null || python.isBlank() ? DEFAULT_PYTHON : python,
                service);
    }

    private static String text(Map<String, Object> s, String key, List<String> problems) {
        Object v = s.get(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        problems.add(key + " must be text, was " + v + " (" + v.getClass().getSimpleName() + ")");
        return null;
    }
}
