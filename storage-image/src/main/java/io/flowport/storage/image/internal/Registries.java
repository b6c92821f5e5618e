package io.flowport.storage.image.internal;

import java.util.Locale;

/** Facts about registry names. Not public API. */
public final class Registries {

    private Registries() {
    }

    /** The host of {@code host[:port]} (also {@code [v6]:port}), lower case. */
    public static String host(String registry) {
        String r = registry.trim().toLowerCase(Locale.ROOT);
        if (r.startsWith("[")) {
            int end = r.indexOf(']');
            return end > 0 ? r.substring(1, end) : r;
        }
        int colon = r.indexOf(':');
        return colon >= 0 ? r.substring(0, colon) : r;
    }

    /**
     * Whether the registry is on this machine's loopback interface ({@code localhost}, {@code 127.0.0.0/8},
     * {@code ::1}), decided from the name alone, without DNS.
     */
    public static boolean isLoopback(String registry) {
        String host = host(registry);
        if (host.equals("localhost") || host.endsWith(".localhost") || host.equals("::1")
                || host.equals("0:0:0:0:0:0:0:1")) {
            return true;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4 || !parts[0].equals("127")) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }
}
