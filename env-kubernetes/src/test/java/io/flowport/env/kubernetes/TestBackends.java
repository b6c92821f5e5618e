package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Backends for tests: the environment's template and settings, a given client and namespace. */
final class TestBackends {

    private TestBackends() {
    }

    static KubernetesJobBackend backend(KubernetesClient client, String namespace,
                                        KubernetesJobEnvironment.Builder settings) {
        KubernetesJobEnvironment env = settings.build();
        List<String> problems = new ArrayList<>();
        String yaml = env.jobSpec() != null ? env.jobSpec() : JobTemplate.defaultSpec();
        Job parsed = JobTemplate.parse("spec", yaml, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        JobTemplate template = JobTemplate.of("spec", parsed, new JobTemplate.Options(env.image(),
                env.serviceAccount(), env.imagePullSecrets(),
                env.resources() == null ? ContainerResources.NONE : env.resources(), env.ttlSecondsAfterFinished()));
        return new KubernetesJobBackend(client, false, namespace, template, env.uniqueJobName(),
                Duration.ofSeconds(2));
    }
}
