package io.flowport.cli;

import io.flowport.agent.QueuedRun;
import io.flowport.agent.RunQueue;
import io.flowport.agent.RunQueues;
import io.flowport.agent.RunState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code flowport submit}, {@code agent start} and {@code runs list|show|cancel} on an embedded queue file. */
class QueueCommandsTest {

    @TempDir
    Path dir;
    String queue;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        queue = dir.resolve("queue.db").toString();
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String submit(String... args) {
        out.reset();
        String[] all = new String[args.length + 2];
        all[0] = "submit";
        System.arraycopy(args, 0, all, 1, args.length);
        all[all.length - 1] = "--queue=" + queue;
        assertThat(Main.execute(all)).as(err()).isZero();
        return out().trim();
    }

    @Test
    void submitListShowCancelAndAnAgentThatRunsWhatWasSubmitted() throws Exception {
        Path env = Files.writeString(dir.resolve("env.yaml"), "type: local\nexecutor: {type: sequential}\nlabels: [demo]\n");
        String first = submit("--flow", "demo-etl", "--env", env.toString(), "--label", "etl", "--priority", "5",
                "-p", "latencyMs=0", "-p", "output=" + dir.resolve("report.txt"));
        String later = submit("--flow", "demo-etl", "--env", env.toString(), "--not-before", "1h");

        out.reset();
        assertThat(Main.execute("runs", "list", "--queue", queue)).isZero();
        assertThat(out()).contains(first).contains(later).contains("QUEUED").contains("demo,etl").contains("2 run(s)");

        out.reset();
        assertThat(Main.execute("runs", "cancel", later, "--queue", queue, "--reason", "not today")).isZero();
        assertThat(out()).contains("cancelled (it was queued; nothing was started)");

        out.reset();
        assertThat(Main.execute("agent", "start", "--labels", "demo,etl", "--queue", queue, "--stop-after", "4s",
                "--ttl", "off", "--name", "cli-agent")).as(err()).isZero();
        assertThat(out()).contains("agent cli-agent started on embedded queue").contains("agent cli-agent stopped");

        assertThat(dir.resolve("report.txt")).exists();
        try (RunQueue q = RunQueues.open(queue)) {
            QueuedRun r = q.get(first).orElseThrow();
            assertThat(r.state()).as(r.history().toString()).isEqualTo(RunState.SUCCESS);
            assertThat(q.get(later).orElseThrow().state()).isEqualTo(RunState.CANCELLED);
        }
        out.reset();
        assertThat(Main.execute("runs", "show", first, "--queue", queue)).isZero();
        assertThat(out()).contains("state      SUCCESS").contains("claimed by agent cli-agent")
                .contains("started in agent cli-agent").contains("labels     demo, etl");
        out.reset();
        assertThat(Main.execute("runs", "list", "--state", "cancelled", "--queue", queue)).isZero();
        assertThat(out()).contains(later).doesNotContain(first);
        assertThat(Main.execute("runs", "show", "no-such-run", "--queue", queue)).isEqualTo(1);
    }

    @Test
    void badInputIsRefusedAndNothingIsStored() throws Exception {
        Path env = Files.writeString(dir.resolve("env.json"), "{\"type\":\"local\"}");
        Path unknown = Files.writeString(dir.resolve("unknown.json"), "{\"type\":\"warp-drive\"}");
        Path broken = Files.writeString(dir.resolve("broken.yaml"), "type: local\n  labels: [oops\n");
        assertThat(Main.execute("submit", "--flow", "demo-etl", "--env", env.toString(), "-p", "nope=1",
                "--queue", queue)).isEqualTo(2);
        assertThat(err()).contains("unknown parameter 'nope'");
        assertThat(Main.execute("submit", "--flow", "demo-etl", "--env", unknown.toString(), "--queue", queue))
                .isEqualTo(2);
        assertThat(err()).contains("unknown environment type 'warp-drive'");
        assertThat(Main.execute("submit", "--flow", "demo-etl", "--env", broken.toString(), "--queue", queue))
                .isEqualTo(2);
        assertThat(Main.execute("submit", "--flow", "demo-etl", "--not-before", "someday", "--queue", queue))
                .isEqualTo(2);
        assertThat(err()).contains("--not-before: cannot read 'someday'");
        try (RunQueue q = RunQueues.open(queue)) {
            assertThat(q.list(EnumSet.noneOf(RunState.class), 10)).isEmpty();
        }
    }
}
