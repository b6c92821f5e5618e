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

    /**
     * The known names closest to {@code name}: edit distance (ignoring case) at most a third of the name's length
     * (at least 2) and at most one more than the best one's, best first, at most three; a known name that contains
     * the given one (or the reverse) counts as close. For "did you mean" hints in settings errors.
     */
    public static java.util.List<String> closest(String name, java.util.Collection<String> known) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        int limit = Math.max(2, lower.length() / 3);
        java.util.Map<String, Integer> scored = new java.util.LinkedHashMap<>();
        for (String k : known) {
            String kl = k.toLowerCase(java.util.Locale.ROOT);
            int d = distance(lower, kl);
            if (d <= limit || lower.length() >= 4 && (kl.contains(lower) || lower.contains(kl) && kl.length() >= 4)) {
                scored.put(k, d);
            }
        }
        // a much better match hides the others: `repositry` suggests `repository`, not also `registry`
        int best = scored.values().stream().min(Integer::compare).orElse(0);
        return scored.entrySet().stream().filter(e -> e.getValue() <= best + 1)
                .sorted(java.util.Map.Entry.<String, Integer>comparingByValue().thenComparing(java.util.Map.Entry.comparingByKey()))
                .limit(3).map(java.util.Map.Entry::getKey).collect(java.util.stream.Collectors.toList());
    }

    /** Levenshtein distance with adjacent transpositions counted as one edit. */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
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
