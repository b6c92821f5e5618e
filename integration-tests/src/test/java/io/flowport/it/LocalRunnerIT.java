package io.flowport.it;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LocalDirectoryStorage;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import io.flowport.env.local.LocalProcessEnvironment;
import io.flowport.examples.ExampleFlows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container path without a container: an application puts its flows into a directory storage, and a child
 * JVM started from that directory alone (as an image would be) loads the serialized environment and storage
 * and runs the flow through the runner entry point.
 */
class LocalRunnerIT {

    @Test
    void aFlowRunsFromADirectoryOfTheApplicationsCode(@TempDir Path dir) {
        Flow flow = ExampleFlows.wordCount();
        LocalDirectoryStorage storage = new LocalDirectoryStorage(dir.resolve("app"));
        String location = storage.addFlow(flow);
        LocalDirectoryStorage built = (LocalDirectoryStorage) storage.build();

        // the environment travels as JSON, as it would to an agent
        LocalProcessEnvironment env = (LocalProcessEnvironment) Serialization.environmentFromJson(
                Serialization.toJson(LocalProcessEnvironment.builder().jvmOptions(List.of("-Xmx96m"))
                        .classpath(built.classpath()).build()));

        FlowRunResult r = env.execute(flow, FlowRun.builder()
                .parameter("text", "a b b c c c")
                .storage(built, location)
                .build());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs().lines()).contains("most frequent word: c=3");
    }

    @Test
    void aCommandFlowRunsAsItsOwnProcess() {
        FlowRunResult r = LocalProcessEnvironment.builder().build()
                .execute(ExampleFlows.shell(), FlowRun.builder().id("it-run-1").build());
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.logs().lines()).containsExactly("hello from run it-run-1");
    }
}
