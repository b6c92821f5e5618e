package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.Quantity;
import io.flowport.core.spi.Names;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Kubernetes naming rules (DNS-1123 labels and subdomains, label keys and values, resource quantities) and the
 * derivation of Job names. Every check returns a problem text naming the field, or {@code null} when fine.
 * Making names valid and hashing are core's {@link Names}; only the checks Kubernetes would make at create time
 * live here.
 */
final class KubernetesNames {

    /**
     * The longest Job name Flowport creates or accepts. Kubernetes allows 63, but the Job controller derives pod
     * names ({@code <job>-<5 random>}) and a hostname from it; 52 is the limit Kubernetes itself uses for
     * CronJob names for the same reason.
     */
    static final int MAX_JOB_NAME = 52;
    /** Length of the hash suffix of unique Job names. */
    static final int SUFFIX_LENGTH = 10;
    /** A Job name: a DNS-1123 label (core's rule) of at most {@link #MAX_JOB_NAME} characters. */
    static final Names.Rule JOB_NAME = new Names.Rule(Names.DNS_LABEL.forbidden(), MAX_JOB_NAME, true,
            Names.DNS_LABEL.fallback());

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern QUANTITY =
            Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\\d+)?");
    private static final Pattern RESOURCE_NAME =
            Pattern.compile("(([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)/)?"
                    + "[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");

    private KubernetesNames() {
    }

    /** A problem with a DNS-1123 label (Job, container, namespace names), or null. */
    static String dnsLabel(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            return field + " is empty; expected a DNS-1123 label (lower-case letters, digits and '-')";
        }
        if (value.length() > max) {
            return field + " '" + value + "' is " + value.length() + " characters long; at most " + max
                    + " are allowed";
        }
        if (!DNS_LABEL.matcher(value).matches()) {
            return field + " '" + value + "' is not a valid DNS-1123 label: use lower-case letters, digits and '-',"
                    + " starting and ending with a letter or digit (e.g. '" + Names.sanitize(value, dnsLabelRule(max))
                    + "')";
        }
        return null;
    }

    /** A problem with a DNS-1123 subdomain (service account, secret names), or null. */
    static String dnsSubdomain(String field, String value) {
        if (value == null || value.isEmpty()) {
            return field + " is empty; expected a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')";
        }
        if (value.length() > 253 || !DNS_SUBDOMAIN.matcher(value).matches()) {
            return field + " '" + value + "' is not a valid DNS-1123 subdomain: use at most 253 lower-case letters,"
                    + " digits, '-' and '.', starting and ending with a letter or digit";
        }
        return null;
    }

    /** A problem with a label key ({@code [prefix/]name}), or null. */
    static String labelKey(String field, String key) {
        if (key == null || key.isEmpty()) {
            return field + ": a label key is empty";
        }
        int slash = key.lastIndexOf('/');
        String prefix = slash < 0 ? null : key.substring(0, slash);
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (prefix != null && (prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches())) {
            return field + ": label key '" + key + "' has an invalid prefix '" + prefix
                    + "'; the prefix must be a DNS-1123 subdomain such as 'example.com'";
        }
        if (name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
            return field + ": label key '" + key + "' is invalid; the name part must be at most 63 characters of"
                    + " letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
        }
        return null;
    }

    /** A problem with a label value (empty, or at most 63 characters of {@code [A-Za-z0-9._-]}), or null. */
    static String labelValue(String field, String key, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > 63 || !LABEL_NAME.matcher(value).matches()) {
            return field + ": value '" + value + "' of label '" + key + "' is invalid; label values must be at most"
                    + " 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or"
                    + " digit";
        }
        return null;
    }

    /** Problems with a map of labels. */
    static void labels(String field, Map<String, String> labels, List<String> problems) {
        if (labels == null) {
            return;
        }
        for (Map.Entry<String, String> e : labels.entrySet()) {
            add(problems, labelKey(field, e.getKey()));
            add(problems, labelValue(field, e.getKey(), e.getValue()));
        }
    }

    /** A problem with a resource name ({@code cpu}, {@code memory}, {@code nvidia.com/gpu}), or null. */
    static String resourceName(String field, String name) {
        if (name == null || !RESOURCE_NAME.matcher(name).matches()) {
            return field + ": '" + name + "' is not a valid resource name; use cpu, memory, ephemeral-storage or an"
                    + " extended resource such as nvidia.com/gpu";
        }
        return null;
    }

    /** A problem with a resource quantity ({@code 500m}, {@code 1Gi}), or null. */
    static String quantity(String field, String value) {
        if (value == null || !QUANTITY.matcher(value.trim()).matches()) {
            return field + ": '" + value + "' is not a valid quantity; use a number with an optional suffix such"
                    + " as 500m, 2, 512Mi or 1Gi";
        }
        return null;
    }

    /** The amount of a valid quantity, for comparisons. */
    static BigDecimal amount(String quantity) {
        return Quantity.getAmountInBytes(Quantity.parse(quantity.trim()));
    }

    /** A problem with an environment variable name, or null. */
    static String envName(String field, String name) {
        if (name == null || !ENV_NAME.matcher(name).matches()) {
            return field + ": '" + name + "' is not a valid environment variable name; use letters, digits, '_',"
                    + " '-' and '.', not starting with a digit";
        }
        return null;
    }

    /**
     * The Job name of one run: with {@code unique}, the base (shortened if needed) plus a suffix hashed from the
     * idempotency token, so that a retried create of the same run gets the same name; else the base itself, made
     * valid.
     */
    static String jobName(String base, boolean unique, String idempotencyToken) {
        return unique ? Names.unique(base, idempotencyToken, JOB_NAME, SUFFIX_LENGTH) : Names.sanitize(base, JOB_NAME);
    }

    /** Core's DNS-1123 label rule with another maximum length. */
    private static Names.Rule dnsLabelRule(int max) {
        return new Names.Rule(Names.DNS_LABEL.forbidden(), max, true, Names.DNS_LABEL.fallback());
    }

    private static void add(List<String> problems, String problem) {
        if (problem != null) {
            problems.add(problem);
        }
    }
}
