package io.flowport.env.fargate;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Serialization;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a JSON/YAML document of type {@code fargate-task} may not carry, and how it is told. */
class DocumentSettingsTest {

    private static final String KEY_ID = "AKIAEXAMPLEKEYID1234";
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";

    private static final String VALID = """
            "type": "fargate-task", "regionName": "eu-west-1", "cpu": "256", "memory": "512",
            "subnets": ["subnet-0123456789abcdef0"],
            "containerDefinitions": [{"name": "flow", "image": "example/flows:1"}]""";

    private static ConfigurationException refused(String json) {
        return (ConfigurationException) org.assertj.core.api.Assertions.catchThrowable(
                () -> Serialization.environmentFromJson(json));
    }

    @Test
    void credentialsInAJsonDocumentAreRefusedSayingWhereCredentialsComeFrom() {
        ConfigurationException e = refused("{" + VALID + ", \"awsAccessKeyId\": \"" + KEY_ID
                + "\", \"awsSecretAccessKey\": \"" + SECRET + "\", \"awsSessionToken\": \"" + TOKEN + "\"}");
        assertThat(e).isNotNull();
        assertThat(e.problems()).hasSize(3);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("awsAccessKeyId: AWS credentials are "
                        + "never read from a JSON/YAML document"))
                .anySatisfy(p -> assertThat(p).startsWith("awsSecretAccessKey: "))
                .anySatisfy(p -> assertThat(p).startsWith("awsSessionToken: "))
                .allSatisfy(p -> assertThat(p).contains("the AWS SDK's default chain")
                        .contains("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN environment variables")
                        .contains("credentialsProvider(...)").contains("set roleArn"));
        assertThat(e.getMessage()).doesNotContain(KEY_ID).doesNotContain(SECRET).doesNotContain(TOKEN)
                .doesNotContain("Builder").doesNotContain("io.flowport");
    }

    @Test
    void everySpellingOfCredentialsInYamlIsRefusedAndNamedAsWritten() {
        String yaml = """
                type: fargate-task
                regionName: eu-west-1
                aws_access_key_id: %s
                AWS_SECRET_ACCESS_KEY: %s
                session-token: %s
                credentials: {accessKeyId: x}
                external_id: shared-secret
                containerDefinitions: [{name: flow, image: example/flows:1}]
                """.formatted(KEY_ID, SECRET, TOKEN);
        assertThatThrownBy(() -> Serialization.environmentFromYaml(yaml))
                .isInstanceOf(ConfigurationException.class)
                .satisfies(t -> assertThat(((ConfigurationException) t).problems())
                        .anySatisfy(p -> assertThat(p).startsWith("aws_access_key_id: AWS credentials are never read"))
                        .anySatisfy(p -> assertThat(p).startsWith("AWS_SECRET_ACCESS_KEY: AWS credentials"))
                        .anySatisfy(p -> assertThat(p).startsWith("session-token: AWS credentials"))
                        .anySatisfy(p -> assertThat(p).startsWith("credentials: AWS credentials"))
                        .anySatisfy(p -> assertThat(p).startsWith("external_id: not read from a document")
                                .contains("builder().externalId(...)")))
                .hasMessageNotContaining(KEY_ID).hasMessageNotContaining(SECRET).hasMessageNotContaining(TOKEN)
                .hasMessageNotContaining("shared-secret");
    }

    @Test
    void codeOnlySettingsAndUnknownKeysAreRefusedInOurOwnWords() {
        ConfigurationException e = refused("{" + VALID + ", \"subnet\": \"subnet-1\", \"lifecycleSettings\": {},"
                + " \"container\": {\"name\": \"x\"}}");
        assertThat(e.problems())
                .anySatisfy(p -> assertThat(p).startsWith("subnet: not a setting of a 'fargate-task' environment; "
                        + "did you mean subnets?"))
                .anySatisfy(p -> assertThat(p).startsWith("lifecycleSettings: only set in code"))
                .anySatisfy(p -> assertThat(p).startsWith("container: not a setting"));
        assertThat(e.getMessage()).doesNotContain("Builder").doesNotContain("Unrecognized field");
    }

    @Test
    void aValidDocumentReadsAndExplicitKeysInCodeStillWork() {
        assertThat(Serialization.environmentFromJson("{" + VALID + "}")).isInstanceOf(FargateTaskEnvironment.class);
        FargateTaskEnvironment inCode = Fixtures.base().awsAccessKeyId(KEY_ID).awsSecretAccessKey(SECRET).build();
        assertThat(inCode.hasExplicitCredentials()).isTrue();
        assertThat(FargateValidation.problems(inCode, null)).isEmpty();
    }
}
