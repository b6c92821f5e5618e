package io.flowport.agent;

import io.flowport.core.internal.ClassPaths;
import io.flowport.env.local.LocalEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Micrometer is optional: an agent whose class path has no Micrometer jar claims and runs flows. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class WithoutMicrometerIT {

    @TempDir
    Path dir;

    @Test
    void anAgentRunsWithoutMicrometerOnItsClassPath() throws Exception {
        List<Path> entries = ClassPaths.current().stream()
                .filter(p -> !p.getFileName().toString().startsWith("micrometer-")).toList();
        assertThat(ClassPaths.current()).anyMatch(p -> p.getFileName().toString().startsWith("micrometer-core"));
        String classpath = String.join(File.pathSeparator, entries.stream().map(Path::toString).toList());
        String url = dir.resolve("queue.db").toString();
        try (RunQueue queue = RunQueues.open(url);
             ChildJvm agent = ChildJvm.start(AgentMain.class, classpath, ChildJvm.log("no-micrometer"), List.of(),
                     "queue=" + url, "id=plain", "labels=plain")) {
            agent.await(l -> l.startsWith("STARTED plain"), Duration.ofSeconds(60));
            String id = queue.submit(RunRequest.builder(AgentTestFlows.HELLO).parameter("n", 4)
                    .environment(LocalEnvironment.builder().labels("plain").build()).build());
            await().atMost(Duration.ofSeconds(60)).until(() -> queue.get(id).orElseThrow().isFinished());
            assertThat(queue.get(id).orElseThrow().state()).isEqualTo(RunState.SUCCESS);
            assertThat(agent.terminate(Duration.ofSeconds(30))).isEqualTo(143);
            assertThat(agent.output()).noneMatch(l -> l.contains("NoClassDefFoundError"));
        }
    }
}
