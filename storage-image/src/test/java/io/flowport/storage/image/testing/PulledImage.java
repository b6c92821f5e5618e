package io.flowport.storage.image.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An image read back from a registry by {@link ImagePuller}: its manifest, its configuration and, if asked,
 * its file system unpacked into a directory.
 *
 * @param reference      what was pulled
 * @param manifestDigest the digest of the manifest's bytes
 * @param mediaType      the manifest's media type (Docker v2.2 or OCI)
 * @param manifest       the manifest
 * @param config         the image configuration
 * @param layerDigests   the layers' digests, bottom to top
 * @param layerSizes     the layers' compressed sizes, bottom to top
 * @param root           where the layers were unpacked, or null
 */
public record PulledImage(String reference, String manifestDigest, String mediaType, JsonNode manifest,
                          JsonNode config, List<String> layerDigests, List<Long> layerSizes, Path root) {

    /** The configured entrypoint. */
    public List<String> entrypoint() {
        List<String> out = new ArrayList<>();
        config.path("config").path("Entrypoint").forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The configured environment, name to value, in order. */
    public Map<String, String> environment() {
        Map<String, String> out = new LinkedHashMap<>();
        config.path("config").path("Env").forEach(n -> {
            String s = n.asText();
            int eq = s.indexOf('=');
            out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
        });
        return out;
    }

    /** The configured labels. */
    public Map<String, String> labels() {
        Map<String, String> out = new LinkedHashMap<>();
        config.path("config").path("Labels").properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
