package io.flowport.core.spi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The one place where provider modules turn free text (flow names, run ids) into names a platform accepts, and
 * hash content. Each platform's rules are a {@link Rule}; the common ones are constants here.
 */
public final class Names {

    /** A Kubernetes label value or an ECS/Azure/Google tag value: 63 of {@code [A-Za-z0-9._-]}. */
    public static final Rule LABEL_VALUE = Rule.of("[^A-Za-z0-9._-]", 63, false, "x");
    /** A DNS-1123 label (Kubernetes object names, Cloud Run job names): 63 of {@code [a-z0-9-]}. */
    public static final Rule DNS_LABEL = Rule.of("[^a-z0-9-]", 63, true, "flow");
    /** An ECS task definition family: 255 of {@code [A-Za-z0-9_-]}. */
    public static final Rule ECS_FAMILY = Rule.of("[^A-Za-z0-9_-]", 255, false, "flow");
    /** ECS {@code startedBy}: 36 of {@code [A-Za-z0-9_/-]}. */
    public static final Rule ECS_STARTED_BY = Rule.of("[^A-Za-z0-9_/-]", 36, false, "flowport");

    private Names() {
    }

    /**
     * {@code raw} made valid for {@code rule}: lower-cased if the rule asks, every run of characters it forbids
     * replaced by one {@code '-'}, cut to its length, without leading or trailing characters other than letters
     * and digits; the rule's fallback if nothing is left.
     */
    public static String sanitize(String raw, Rule rule) {
        Objects.requireNonNull(raw, "raw");
        String s = rule.lowerCase() ? raw.toLowerCase(Locale.ROOT) : raw;
        s = rule.forbidden().matcher(s).replaceAll("-").replaceAll("-{2,}", "-");
        s = trimEnds(s);
        if (s.length() > rule.maxLength()) {
            s = trimEnds(s.substring(0, rule.maxLength()));
        }
        return s.isEmpty() ? rule.fallback() : s;
    }

    /**
     * A name for one unit of one run that stays the same for the same {@code token} and differs between tokens,
     * within the rule's length: {@code base} (shortened if needed) and the first {@code suffixLength} hex digits
     * of the token's SHA-256, joined by {@code '-'}.
     */
    public static String unique(String base, String token, Rule rule, int suffixLength) {
        if (suffixLength < 4 || suffixLength > 64 || suffixLength + 2 > rule.maxLength()) {
            throw new IllegalArgumentException("suffixLength " + suffixLength + " does not fit rule of length "
                    + rule.maxLength());
        }
        Rule shorter = new Rule(rule.forbidden(), rule.maxLength() - suffixLength - 1, rule.lowerCase(),
                rule.fallback());
        return sanitize(base, shorter) + "-" + sha256Hex(token).substring(0, suffixLength);
    }

    /** Lower-case hex SHA-256 of the UTF-8 bytes of {@code text}. */
    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /** A new SHA-256 digest, for hashing content in parts. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String trimEnds(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && !Character.isLetterOrDigit(s.charAt(from))) {
            from++;
        }
        while (to > from && !Character.isLetterOrDigit(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    /**
     * A platform's naming rule.
     *
     * @param forbidden matches one character the platform forbids (after lower-casing, if the rule does)
     * @param maxLength the longest name
     * @param lowerCase whether names are lower case
     * @param fallback  the name to use when nothing valid is left
     */
    public record Rule(Pattern forbidden, int maxLength, boolean lowerCase, String fallback) {

        /** Validates the rule. */
        public Rule {
            Objects.requireNonNull(forbidden, "forbidden");
            Objects.requireNonNull(fallback, "fallback");
            if (maxLength < 1) {
                throw new IllegalArgumentException("maxLength must be >= 1, was " + maxLength);
            }
        }

        /** A rule whose forbidden characters are given as a regular expression for one character. */
        public static Rule of(String forbiddenCharacter, int maxLength, boolean lowerCase, String fallback) {
            return new Rule(Pattern.compile(forbiddenCharacter), maxLength, lowerCase, fallback);
        }
    }
}
