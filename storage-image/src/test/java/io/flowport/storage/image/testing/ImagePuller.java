package io.flowport.storage.image.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads an image back from a plain-HTTP registry through the registry HTTP API v2, as a container runtime
 * would: the manifest (asking for both the OCI and the Docker v2.2 media types; a manifest list or index is
 * resolved to linux/amd64), the configuration, and the layers, whose digests are checked. Optionally unpacks
 * the layers, in order, into a directory (handling whiteouts). For tests; only loopback registries.
 */
public final class ImagePuller {

    /** The manifest media types asked for, in this order. */
    public static final String ACCEPT = String.join(", ",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    /** Reads {@code reference} ({@code host:port/repo@sha256:...} or {@code host:port/repo:tag}) without unpacking. */
    public PulledImage read(String reference) throws IOException {
        return pull(reference, null);
    }

    /**
     * Reads {@code reference} and, if {@code into} is not null, unpacks its layers there.
     *
     * @throws IOException if the registry answers with an error or a digest does not match
     */
    public PulledImage pull(String reference, Path into) throws IOException {
        int slash = reference.indexOf('/');
        String registry = reference.substring(0, slash);
        String rest = reference.substring(slash + 1);
        String repository;
        String ref;
        int at = rest.indexOf('@');
        if (at >= 0) {
            repository = rest.substring(0, at);
            ref = rest.substring(at + 1);
        } else {
            int colon = rest.lastIndexOf(':');
            repository = colon >= 0 ? rest.substring(0, colon) : rest;
            ref = colon >= 0 ? rest.substring(colon + 1) : "latest";
        }
        String base = "http://" + registry + "/v2/" + repository;
        HttpResponse<byte[]> response = get(base + "/manifests/" + ref, ACCEPT);
        byte[] manifestBytes = response.body();
        String digest = sha256(manifestBytes);
        if (ref.startsWith("sha256:") && !ref.equals(digest)) {
            throw new IOException("manifest of " + reference + " has digest " + digest);
        }
        String mediaType = response.headers().firstValue("Content-Type").orElse("");
        JsonNode manifest = JSON.readTree(manifestBytes);
        if (mediaType.contains("index") || mediaType.contains("manifest.list")) {
            for (JsonNode m : manifest.path("manifests")) {
                if ("amd64".equals(m.path("platform").path("architecture").asText())) {
                    return pull(registry + "/" + repository + "@" + m.path("digest").asText(), into);
                }
            }
            throw new IOException(reference + " is a manifest list without linux/amd64");
        }
        JsonNode config = JSON.readTree(blob(base, manifest.path("config").path("digest").asText()));
        List<String> digests = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (JsonNode layer : manifest.path("layers")) {
            digests.add(layer.path("digest").asText());
            sizes.add(layer.path("size").asLong());
        }
        if (into != null) {
            Files.createDirectories(into);
            for (JsonNode layer : manifest.path("layers")) {
                byte[] bytes = blob(base, layer.path("digest").asText());
                String type = layer.path("mediaType").asText();
                InputStream in = new ByteArrayInputStream(bytes);
                if (type.endsWith("gzip")) {
                    in = new GZIPInputStream(in);
                }
                try (InputStream tar = in) {
                    TarUnpacker.unpack(tar, into);
                }
            }
        }
        return new PulledImage(reference, digest, mediaType, manifest, config, digests, sizes, into);
    }

    private byte[] blob(String base, String digest) throws IOException {
        byte[] bytes = get(base + "/blobs/" + digest, "*/*").body();
        String actual = sha256(bytes);
        if (!actual.equals(digest)) {
            throw new IOException("blob " + digest + " has digest " + actual);
        }
        return bytes;
    }

    private HttpResponse<byte[]> get(String url, String accept) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Accept", accept)
                .timeout(Duration.ofSeconds(30)).build();
        HttpResponse<byte[]> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw new IOException("GET " + url + " answered " + r.statusCode() + ": "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r;
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A minimal tar reader: ustar, PAX and GNU long names, regular files, directories, links, whiteouts. */
    static final class TarUnpacker {
        private TarUnpacker() {
        }

        static void unpack(InputStream in, Path root) throws IOException {
            byte[] header = new byte[512];
            String longName = null;
            Path rootAbs = root.toAbsolutePath().normalize();
            while (readFully(in, header)) {
                if (isZero(header)) {
                    break;
                }
                String name = string(header, 0, 100);
                String prefix = string(header, 345, 155);
                if (!prefix.isEmpty() && "ustar".equals(string(header, 257, 5))) {
                    name = prefix + "/" + name;
                }
                long size = octal(header, 124, 12);
                char type = (char) header[156];
                byte[] data = new byte[(int) size];
                if (!readFully(in, data) && size > 0) {
                    throw new IOException("truncated tar");
                }
                long pad = (512 - size % 512) % 512;
                in.readNBytes((int) pad);
                if (type == 'x') {
                    longName = paxPath(data);
                    continue;
                }
                if (type == 'g') {
                    continue;
                }
                if (type == 'L') {
                    longName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                    continue;
                }
                if (longName != null) {
                    name = longName;
                    longName = null;
                }
                while (name.startsWith("./") || name.startsWith("/")) {
                    name = name.substring(name.startsWith("./") ? 2 : 1);
                }
                if (name.isEmpty()) {
                    continue;
                }
                Path target = rootAbs.resolve(name).normalize();
                if (!target.startsWith(rootAbs)) {
                    throw new IOException("tar entry escapes the root: " + name);
                }
                String file = target.getFileName().toString();
                if (file.startsWith(".wh.")) {
                    Path hidden = target.resolveSibling(file.substring(4));
                    deleteTree(hidden);
                    continue;
                }
                switch (type) {
                    case '5' -> Files.createDirectories(target);
                    case '2' -> {
                        Files.createDirectories(target.getParent());
                        Files.deleteIfExists(target);
                        Files.createSymbolicLink(target, Path.of(string(header, 157, 100)));
                    }
                    case '1' -> {
                        Files.createDirectories(target.getParent());
                        Files.copy(rootAbs.resolve(string(header, 157, 100)), target,
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                    default -> {
                        Files.createDirectories(target.getParent());
                        Files.write(target, data);
                    }
                }
            }
        }

        private static String paxPath(byte[] data) {
            String text = new String(data, StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                int space = line.indexOf(' ');
                String kv = space >= 0 ? line.substring(space + 1) : line;
                if (kv.startsWith("path=")) {
                    return kv.substring(5);
                }
            }
            return null;
        }

        private static void deleteTree(Path p) throws IOException {
            if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try (var walk = Files.walk(p)) {
                for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }

        private static boolean readFully(InputStream in, byte[] buf) throws IOException {
            int n = in.readNBytes(buf, 0, buf.length);
            return n == buf.length;
        }

        private static boolean isZero(byte[] b) {
            for (byte x : b) {
                if (x != 0) {
                    return false;
                }
            }
            return true;
        }

        private static String string(byte[] b, int off, int len) {
            int end = off;
            while (end < off + len && b[end] != 0) {
                end++;
            }
            return new String(b, off, end - off, StandardCharsets.UTF_8);
        }

        private static long octal(byte[] b, int off, int len) {
            String s = string(b, off, len).trim();
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        }
    }
}
