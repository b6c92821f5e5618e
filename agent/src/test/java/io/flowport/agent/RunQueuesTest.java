package io.flowport.agent;

import io.flowport.core.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Queue URLs: files, sqlite and PostgreSQL forms, the default from the environment, bad URLs, no secrets shown. */
class RunQueuesTest {

    @TempDir
    Path dir;

    @Test
    void fileFormsOpenTheEmbeddedQueue() {
        for (String url : new String[]{dir.resolve("a.db").toString(), "jdbc:sqlite:" + dir.resolve("b.db"),
                "sqlite:" + dir.resolve("c.db"), dir.resolve("d.db").toUri().toString()}) {
            try (RunQueue q = RunQueues.open(url, Map.of())) {
                assertThat(q.describe()).startsWith("embedded queue " + dir);
            }
        }
        try (RunQueue q = RunQueues.open(null, Map.of(RunQueues.QUEUE_VARIABLE, dir.resolve("env.db").toString()))) {
            assertThat(q.describe()).isEqualTo("embedded queue " + dir.resolve("env.db"));
        }
    }

    @Test
    void badUrlsAreRefusedWithoutShowingPasswords() {
        assertThatThrownBy(() -> RunQueues.open("mysql://db/flows?password=hunter2", Map.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("use a file path (the embedded queue), jdbc:sqlite:<path>")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> PostgresRunQueue.builder().url("jdbc:mysql://x?password=hunter2").poolSize(0).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("url must be a jdbc:postgresql://host:port/database URL")
                .hasMessageContaining("poolSize must be >= 1")
                .hasMessageNotContaining("hunter2");
        assertThat(PostgresRunQueue.builder().url("jdbc:postgresql://h/db?password=hunter2").password("s3cret"))
                .asString().doesNotContain("hunter2").doesNotContain("s3cret");
    }
}
