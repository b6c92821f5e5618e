package io.flowport.env.aci;

import io.flowport.core.RunLogs;

import java.util.Arrays;
import java.util.List;

/**
 * The flow container's logs, read from ACI's log endpoint ({@code containers/{name}/logs}) when asked: all of them
 * with {@link #lines()}, the newest lines only with {@link #tail(int)} (ACI's {@code tail} parameter, so a long
 * log is not transferred to read its end). Once the run finished, the first full read is kept.
 */
final class AciRunLogs implements RunLogs {

    private final ContainerInstanceBackend backend;
    private final String group;
    private volatile List<String> finalLines;

    AciRunLogs(ContainerInstanceBackend backend, String group) {
        this.backend = backend;
        this.group = group;
    }

    @Override
    public List<String> lines() {
        List<String> f = finalLines;
        if (f != null) {
            return f;
        }
        boolean finished = backend.isFinished(group);
        List<String> lines = split(backend.readLogs(group, null));
        if (finished) {
            finalLines = lines;
        }
        return lines;
    }

    /** The last {@code maxLines} lines, read with ACI's {@code tail} parameter (one call, whatever the log size). */
    @Override
    public List<String> tail(int maxLines) {
        if (maxLines < 0) {
            throw new IllegalArgumentException("maxLines must be >= 0, was " + maxLines);
        }
        if (maxLines == 0) {
            return List.of();
        }
        List<String> f = finalLines;
        if (f != null) {
            return f.subList(Math.max(0, f.size() - maxLines), f.size());
        }
        return split(backend.readLogs(group, maxLines));
    }

    @Override
    public String location() {
        return "ACI container group " + backend.resourceGroup() + "/" + group + ", container "
                + backend.containerName();
    }

    static List<String> split(String content) {
        if (content == null || content.isEmpty()) {
            return List.of();
        }
        String c = content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        return List.copyOf(Arrays.asList(c.split("\r?\n", -1)));
    }
}
