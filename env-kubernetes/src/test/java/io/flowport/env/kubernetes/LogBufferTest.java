package io.flowport.env.kubernetes;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bounded buffer behind followed logs: bytes, not lines, and no line without end. */
class LogBufferTest {

    private static void write(LogBuffer b, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        b.write(bytes, 0, bytes.length);
    }

    @Test
    void linesComeBackWithoutTheirTerminators() {
        LogBuffer b = new LogBuffer(1024, 100);
        write(b, "one\r\ntwo\n\nthree");
        assertThat(b.lines()).containsExactly("one", "two", "", "three");
        assertThat(b.tail(2)).containsExactly("", "three");
        assertThat(b.received()).isEqualTo(15);
    }

    @Test
    void memoryIsBoundedInBytesAndTheFirstLineSaysWhatWasDropped() {
        LogBuffer b = new LogBuffer(1000, 100);
        // 10,000 short lines: a line bound would keep them all, a byte bound must not
        for (int i = 0; i < 10_000; i++) {
            write(b, "line " + i + "\n");
        }
        var lines = b.lines();
        int kept = lines.subList(1, lines.size()).stream()
                .mapToInt(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();
        assertThat(kept).isLessThanOrEqualTo(1000);
        assertThat(lines.get(0)).matches("\\(\\d+ bytes of earlier output dropped: the last 1000 bytes of this log"
                + " are kept\\)");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("line 9999");
        assertThat(lines.get(1)).as("no partial first line").matches("line \\d+");
        long dropped = Long.parseLong(lines.get(0).substring(1, lines.get(0).indexOf(' ')));
        assertThat(dropped + kept).isEqualTo(b.received());
    }

    @Test
    void aLineWithoutNewlineIsCutAtItsLimitAndSaysHowMuchWasDropped() {
        LogBuffer b = new LogBuffer(1 << 20, 10);
        write(b, "0123456789abcdefghij\nshort\n");
        write(b, "x".repeat(5000)); // no newline, still coming
        assertThat(b.lines()).containsExactly(
                "0123456789 [line cut at 10 bytes; 10 more bytes dropped]",
                "short",
                "xxxxxxxxxx [line cut at 10 bytes; 4990 more bytes dropped]");
        write(b, "x".repeat(1_000_000));
        assertThat(b.lines().get(2)).isEqualTo("xxxxxxxxxx [line cut at 10 bytes; 1004990 more bytes dropped]");
        assertThat(b.textIfComplete()).as("not the whole output").isNull();
    }

    @Test
    void anErrorAnswerIsRecognisedOnlyWhenItIsTheWholeText() {
        assertThat(PodLogs.errorStatus("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                + "\"message\":\"EOF\",\"code\":500}\n")).isEqualTo(500);
        assertThat(PodLogs.errorStatus("{\"level\":\"info\",\"msg\":\"started\"}")).isNull();
        assertThat(PodLogs.errorStatus("starting\n{\"kind\":\"Status\",\"code\":500}")).isNull();
        assertThat(PodLogs.errorStatus("")).isNull();
    }

    @Test
    void limitsMustBePositive() {
        assertThatThrownBy(() -> new LogBuffer(0, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
