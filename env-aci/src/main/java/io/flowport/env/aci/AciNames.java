package io.flowport.env.aci;

import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Names;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Azure's naming rules for what this module creates, the container group name of a flow run, and the mapping
 * between Flowport's labels and Azure tags (tag names may not contain {@code /}).
 */
final class AciNames {

    /** Container groups and containers: 1-63 lowercase letters, digits and single hyphens, not at either end. */
    static final int MAX_GROUP_NAME = 63;
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** Resource groups: 1-90 letters, digits, underscores, periods, parentheses and hyphens; no period at the end. */
    private static final Pattern RESOURCE_GROUP = Pattern.compile("[\\p{L}\\p{N}_.()-]{0,89}[\\p{L}\\p{N}_()-]");
    /** Longest group name prefix: leaves room for a hyphen, part of the run id and a 10-character hash. */
    static final int MAX_PREFIX = 40;
    private static final int HASH_CHARS = 10;

    /** Azure tag names may not contain these. */
    private static final Pattern TAG_NAME_FORBIDDEN = Pattern.compile("[<>%&\\\\?/]");
    /** The prefix of every tag Flowport sets ({@code flowport.io/} with the slash Azure forbids replaced). */
    static final String TAG_PREFIX = "flowport.io_";
    /** Tag with the launch time (epoch seconds), so that a group that never ran still has an age. */
    static final String LAUNCHED_AT_TAG = TAG_PREFIX + "launched-at";
    /** Tags Flowport adds to every container group: the three run labels and the launch time. */
    static final int FLOWPORT_TAGS = 4;
    /** Azure's limit of tags per resource. */
    static final int MAX_TAGS = 50;

    private AciNames() {
    }

    /** Whether {@code name} is a valid container group or container name. */
    static boolean isDnsLabel(String name) {
        return name != null && DNS_LABEL.matcher(name).matches() && !name.contains("--");
    }

    /** Whether {@code name} is a valid resource group name. */
    static boolean isResourceGroup(String name) {
        return name != null && RESOURCE_GROUP.matcher(name).matches();
    }

    /** Whether {@code name} may be a tag name (1-512 characters, none of {@code <>%&\?/}). */
    static boolean isTagName(String name) {
        return name != null && !name.isBlank() && name.length() <= 512 && !TAG_NAME_FORBIDDEN.matcher(name).find();
    }

    /**
     * The container group of a flow run: {@code <prefix>-<run id>} when the run id is already a valid lowercase
     * name part (a UUID is), else the sanitised name shortened as needed plus a hash of the raw id, so that two run
     * ids never share a group and retries of one run always find the same group. ACI's rules are a DNS label
     * without consecutive hyphens, which {@link Names#sanitize} gives.
     */
    static String groupName(String prefix, String flowRunId) {
        String plain = prefix + "-" + flowRunId;
        if (Names.sanitize(plain, Names.DNS_LABEL).equals(plain)) {
            return plain;
        }
        return Names.unique(plain, flowRunId, Names.DNS_LABEL, HASH_CHARS);
    }

    /** The Azure tag name for a Flowport label key ({@code flowport.io/flow-run-id} → {@code flowport.io_flow-run-id}). */
    static String tagName(String labelKey) {
        return labelKey.replace('/', '_');
    }

    /** The Flowport label key of a tag set by Flowport, or null for other tags. */
    static String labelKey(String tagName) {
        if (tagName == null || !tagName.startsWith(TAG_PREFIX) || tagName.equals(LAUNCHED_AT_TAG)) {
            return null;
        }
        return "flowport.io/" + tagName.substring(TAG_PREFIX.length());
    }

    /** Labels as tags. */
    static Map<String, String> tags(Map<String, String> labels) {
        Map<String, String> tags = new LinkedHashMap<>();
        labels.forEach((k, v) -> tags.put(tagName(k), v));
        return tags;
    }

    /** The Flowport labels carried by a group's tags. */
    static Map<String, String> labels(Map<String, String> tags) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (tags != null) {
            tags.forEach((k, v) -> {
                String label = labelKey(k);
                if (label != null) {
                    labels.put(label, v);
                }
            });
        }
        return labels;
    }

    /** Whether a group's tags say it belongs to flow run {@code flowRunId}. */
    static boolean belongsTo(Map<String, String> tags, String flowRunId) {
        return tags != null && "flowport".equals(tags.get(tagName(Labels.MANAGED_BY)))
                && Labels.safeValue(flowRunId).equals(tags.get(tagName(Labels.FLOW_RUN_ID)));
    }

    static String hash(String s) {
        return Names.sha256Hex(s);
    }
}
