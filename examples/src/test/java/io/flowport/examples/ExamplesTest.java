package io.flowport.examples;

import io.flowport.core.ClasspathStorage;
import io.flowport.core.Executor;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ExamplesTest {

    @Test
    void quickStartPrintsTheShoutedGreeting() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[0]);
        } finally {
            System.setOut(saved);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("Success: 2 tasks succeeded -> HELLO FLOWPORT\n");
    }

    @Test
    void exampleFlowsAreFoundByNameAndRun() {
        FlowRunResult r = Executor.sequential().execute(new ClasspathStorage().load(ExampleFlows.WORD_COUNT),
                FlowRun.create());
        assertThat(r.result("top")).contains("the=3");
    }
}
