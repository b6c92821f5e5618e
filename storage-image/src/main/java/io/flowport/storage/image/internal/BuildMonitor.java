package io.flowport.storage.image.internal;

import com.google.cloud.tools.jib.api.JibEvent;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.event.events.ProgressEvent;
import com.google.cloud.tools.jib.event.events.TimerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Listens to Jib's events during one build: forwards its log to slf4j (DEBUG, warnings at WARN) and counts the
 * blobs uploaded and skipped. Jib reports a blob's size when it starts pushing it ({@code "pushing blob
 * <digest>"}), an actual upload by the {@code "pushBlob PATCH <digest>"} timer lap, and a blob the registry
 * already has by a {@code "Skipping push; BLOB already exists"} log line. Thread-safe (Jib pushes in
 * parallel). Not public API.
 */
public final class BuildMonitor {

    private static final Logger LOG = LoggerFactory.getLogger("io.flowport.storage.image.jib");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private final Map<String, Long> sizes = new ConcurrentHashMap<>();
    private final Set<String> uploaded = ConcurrentHashMap.newKeySet();
    private final AtomicInteger skipped = new AtomicInteger();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private final boolean expectPlainHttp;

    /**
     * @param expectPlainHttp true when every registry of the build is on loopback, where Jib's "trying again
     *                        with HTTP" warnings are the expected path and are logged at DEBUG only
     */
    public BuildMonitor(boolean expectPlainHttp) {
        this.expectPlainHttp = expectPlainHttp;
    }

    /** Handles one Jib event. */
    public void accept(JibEvent event) {
        if (event instanceof LogEvent log) {
            onLog(log);
        } else if (event instanceof ProgressEvent progress) {
            String d = progress.getAllocation().getDescription();
            if (d.startsWith("pushing blob ")) {
                digest(d).ifPresent(digest -> sizes.putIfAbsent(digest, progress.getAllocation().getAllocationUnits()));
            }
        } else if (event instanceof TimerEvent timer) {
            String d = timer.getDescription();
            if (d.startsWith("pushBlob PATCH ")) {
                digest(d).ifPresent(uploaded::add);
            }
        }
    }

    private void onLog(LogEvent log) {
        String message = log.getMessage();
        if (message.startsWith("Skipping push; BLOB already exists")) {
            skipped.incrementAndGet();
        }
        switch (log.getLevel()) {
            case ERROR -> {
                errors.add(message);
                LOG.debug("jib error: {}", message);
            }
            case WARN -> {
                boolean fallback = message.contains("Attempting again with HTTP")
                        || message.contains("Attempting again with no TLS verification");
                if (expectPlainHttp && fallback) {
                    LOG.debug("jib: {}", message);
                } else {
                    LOG.warn("jib: {}", message);
                }
            }
            default -> LOG.debug("jib: {}", message);
        }
    }

    private static java.util.Optional<String> digest(String text) {
        Matcher m = DIGEST.matcher(text);
        return m.find() ? java.util.Optional.of(m.group()) : java.util.Optional.empty();
    }

    /** Blobs actually uploaded. */
    public int blobsUploaded() {
        return uploaded.size();
    }

    /** Their total size in bytes (as Jib reported when starting each push). */
    public long bytesUploaded() {
        return uploaded.stream().mapToLong(d -> sizes.getOrDefault(d, 0L)).sum();
    }

    /** Blobs the registry already had. */
    public int blobsSkipped() {
        return skipped.get();
    }

    /** Error lines Jib logged, for the exception message. */
    public List<String> errors() {
        return List.copyOf(errors);
    }
}
