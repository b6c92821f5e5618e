package io.flowport.it;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Serialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Every provider's JSON and YAML documents, read as a user writes them: a misspelt setting or a value of the
 * wrong kind is refused with the setting's name, the document's type and the closest known settings, in
 * Flowport's words (never Jackson's, never the name of a class that binds settings). One place does it, so
 * every provider, present and future, reads the same.
 */
class DocumentErrorsTest {

    private static String error(ThrowingSupplier<?> read) {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class, read::get);
        assertThat(e).as("a ConfigurationException").isNotNull();
        assertThat(e.getMessage()).doesNotContain("$Builder", "io.flowport.", "Unrecognized field",
                "not marked as ignorable", "Cannot deserialize", "Cannot construct", "class ", "java.", "token");
        return e.getMessage();
    }

    private static String env(String json) {
        return error(() -> Serialization.environmentFromJson(json));
    }

    private static String envYaml(String yaml) {
        return error(() -> Serialization.environmentFromYaml(yaml));
    }

    @Test
    void local() {
        assertThat(env("{\"type\":\"local\",\"executer\":{\"type\":\"sequential\"}}"))
                .isEqualTo("unknown setting `executer` in a `local` environment: did you mean `executor`? Known "
                        + "settings: executor, labels, metadata");
        assertThat(envYaml("type: local\nexecutor:\n  type: parallel\n  thread: 2\n"))
                .isEqualTo("unknown setting `executor.thread` in a `local` environment: did you mean `threads`? Known "
                        + "settings of `executor`: threads");
        assertThat(envYaml("type: local\nlabels: {a: b}\n"))
                .isEqualTo("setting `labels` of a `local` environment: expected an array, got an object");
    }

    @Test
    void localProcess() {
        assertThat(envYaml("type: local-process\njvmOption: [-Xmx64m]\n"))
                .startsWith("unknown setting `jvmOption` in a `local-process` environment: did you mean "
                        + "`jvmOptions`? Known settings: classpath, environment, executor, javaCommand, jvmOptions");
        assertThat(env("{\"type\":\"local-process\",\"jvmOptions\":\"-Xmx64m\"}"))
                .isEqualTo("setting `jvmOptions` of a `local-process` environment: expected an array, got a string");
    }

    @Test
    void fargateTask() {
        // env-fargate reads unknown keys itself (to refuse credentials in any spelling and to pass ECS fields
        // through), in its own words: the key, the type, the closest setting and the known ones
        assertThat(envYaml("type: fargate-task\ncluster: c\nsubnet: [subnet-1]\n"))
                .contains("subnet", "fargate-task", "did you mean subnets?", "securityGroups", "taskRoleArn");
        assertThat(env("{\"type\":\"fargate-task\",\"cpu\":[\"1024\"]}"))
                .isEqualTo("setting `cpu` of a `fargate-task` environment: expected a string, got an array");
        assertThat(env("{\"type\":\"fargate-task\",\"subnets\":{\"a\":\"b\"}}"))
                .isEqualTo("setting `subnets` of a `fargate-task` environment: expected an array, got an object");
    }

    @Test
    void kubernetesJob() {
        assertThat(env("{\"type\":\"kubernetes-job\",\"namespase\":\"flows\"}"))
                .startsWith("unknown setting `namespase` in a `kubernetes-job` environment: did you mean "
                        + "`namespace`? Known settings: ")
                .contains("image", "jobSpec", "serviceAccount");
        assertThat(envYaml("type: kubernetes-job\nttlSecondsAfterFinished: soon\n"))
                .isEqualTo("setting `ttlSecondsAfterFinished` of a `kubernetes-job` environment: expected a whole "
                        + "number, got a string");
    }

    @Test
    void cloudRunJob() {
        assertThat(envYaml("type: cloud-run-job\nproject: p\nregoin: europe-west1\n"))
                .startsWith("unknown setting `regoin` in a `cloud-run-job` environment: did you mean `region`? "
                        + "Known settings: ")
                .contains("image", "jobName", "project");
        assertThat(env("{\"type\":\"cloud-run-job\",\"maxRetries\":[1]}"))
                .isEqualTo("setting `maxRetries` of a `cloud-run-job` environment: expected a whole number, got an "
                        + "array");
    }

    @Test
    void imageStorage() {
        assertThat(error(() -> Serialization.storageFromJson("{\"type\":\"image\",\"repositry\":\"flows\"}")))
                .startsWith("unknown setting `repositry` in an `image` storage: did you mean `repository`? Known "
                        + "settings: ")
                .contains("baseImage", "registry", "tag");
        assertThat(error(() -> Serialization.storageFromYaml("type: image\nlabels: [a, b]\n")))
                .isEqualTo("setting `labels` of an `image` storage: expected an object, got an array");
    }

    @Test
    void everyUnknownSettingOfADocumentAtOnce() {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> Serialization.environmentFromYaml("type: local-process\njvmOption: [a]\nclaspath: [b]\n"));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.getMessage()).startsWith("the `local-process` environment document: 2 problems:")
                .contains("did you mean `jvmOptions`?", "did you mean `classpath`?");
        e = catchThrowableOfType(ConfigurationException.class,
                () -> Serialization.environmentFromYaml("type: fargate-task\nsubnet: [a]\nsecurityGroup: [b]\n"));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.getMessage()).contains("did you mean subnets?", "did you mean securityGroups?");
    }
}
