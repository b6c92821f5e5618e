package io.flowport.env.kubernetes;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The newest bytes of one log, at most {@code capacity} of them, split into lines when read. Memory is bounded in
 * bytes whatever the lines look like: older output is dropped first (the first line read then says how much),
 * and a line longer than {@code maxLine} bytes keeps its first {@code maxLine} bytes and ends with a note of how
 * many were dropped, so that output without newlines cannot grow without limit either. Thread-safe; written to
 * by fabric8's log watch as an {@link OutputStream}.
 */
final class LogBuffer extends OutputStream {

    private final int capacity;
    private final int maxLine;
    private byte[] buf;
    /** Index of the oldest byte held (the buffer is a ring once full). */
    private int start;
    private int size;
    /** Bytes dropped from the head to stay within the capacity. */
    private long dropped;
    /** Whether the last byte dropped from the head ended a line (then the head starts a whole line). */
    private boolean droppedAtLineEnd = true;
    /** Bytes of the current line held so far, and the bytes of it dropped beyond {@link #maxLine}. */
    private int lineLength;
    private long lineCut;
    private long received;

    LogBuffer(int capacity, int maxLine) {
        if (capacity < 1 || maxLine < 1) {
            throw new IllegalArgumentException("capacity and maxLine must be positive");
        }
        this.capacity = capacity;
        this.maxLine = maxLine;
        this.buf = new byte[Math.min(capacity, 8192)];
    }

    @Override
    public synchronized void write(int b) {
        accept((byte) b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        for (int i = off; i < off + len; i++) {
            accept(b[i]);
        }
    }

    private void accept(byte b) {
        received++;
        if (b == '\n') {
            if (lineCut > 0) {
                put(cutNote(lineCut).getBytes(StandardCharsets.UTF_8));
            }
            put(b);
            lineLength = 0;
            lineCut = 0;
        } else if (lineLength >= maxLine) {
            lineCut++;
        } else {
            put(b);
            lineLength++;
        }
    }

    private String cutNote(long cut) {
        return " [line cut at " + maxLine + " bytes; " + cut + " more bytes dropped]";
    }

    private void put(byte[] bytes) {
        for (byte b : bytes) {
            put(b);
        }
    }

    private void put(byte b) {
        if (size == buf.length) {
            if (buf.length < capacity) {
                // not yet full, so the content starts at index 0: grow in place
                buf = Arrays.copyOf(buf, (int) Math.min(capacity, 2L * buf.length));
            } else {
                droppedAtLineEnd = buf[start] == '\n';
                start = (start + 1) % buf.length;
                size--;
                dropped++;
            }
        }
        buf[(start + size) % buf.length] = b;
        size++;
    }

    /** How many bytes were written in all (kept or not). */
    synchronized long received() {
        return received;
    }

    /** The whole log as text, if nothing of it was dropped; else null. */
    synchronized String textIfComplete() {
        return dropped == 0 && lineCut == 0 ? new String(bytes(), StandardCharsets.UTF_8) : null;
    }

    /** Forgets everything held (the log turned out to be an error answer, not a log). */
    synchronized void clear() {
        start = 0;
        size = 0;
        lineLength = 0;
        lineCut = 0;
    }

    private byte[] bytes() {
        byte[] out = new byte[size];
        int first = Math.min(size, buf.length - start);
        System.arraycopy(buf, start, out, 0, first);
        System.arraycopy(buf, 0, out, first, size - first);
        return out;
    }

    /**
     * The lines held, oldest first, without line terminators. While the log goes on, its last line may be
     * incomplete (it is given as far as it goes). When older output was dropped, the first line says so.
     */
    synchronized List<String> lines() {
        String text = new String(bytes(), StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        int from = 0;
        long droppedBytes = dropped;
        if (dropped > 0 && !droppedAtLineEnd) {
            // the oldest line held lost its beginning: drop the rest of it too
            int nl = text.indexOf('\n');
            from = nl < 0 ? text.length() : nl + 1;
            droppedBytes += text.substring(0, from).getBytes(StandardCharsets.UTF_8).length;
        }
        if (droppedBytes > 0) {
            out.add("(" + droppedBytes + " bytes of earlier output dropped: the last " + capacity
                    + " bytes of this log are kept)");
        }
        while (from < text.length()) {
            int nl = text.indexOf('\n', from);
            String line = nl < 0 ? text.substring(from) : text.substring(from, nl);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (nl < 0 && lineCut > 0) {
                line += cutNote(lineCut);
            }
            out.add(line);
            from = nl < 0 ? text.length() : nl + 1;
        }
        return out;
    }

    /** The last {@code n} lines of {@link #lines()}. */
    synchronized List<String> tail(int n) {
        List<String> all = lines();
        return all.size() <= n ? all : List.copyOf(all.subList(all.size() - n, all.size()));
    }
}
