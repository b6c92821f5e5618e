package io.flowport.core;

import java.util.List;

/**
 * Bad input: a setting, an argument, a parameter or a flow definition that cannot work.
 * Thrown before anything is created or any remote call is made, and it lists every problem
 * found, each naming the field and what is expected.
 */
public class ConfigurationException extends FlowportException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** Creates an exception about one subject (e.g. {@code "FargateTaskEnvironment"}) listing its problems. */
    public ConfigurationException(String subject, List<String> problems) {
        super(format(subject, problems));
        this.problems = List.copyOf(problems);
    }

    /** Creates an exception with a single problem. */
    public ConfigurationException(String problem) {
        super(problem);
        this.problems = List.of(problem);
    }

    /** Each problem found, in the order they were found. */
    public List<String> problems() {
        return problems;
    }

    private static String format(String subject, List<String> problems) {
        if (problems.size() == 1) {
            return subject + ": " + problems.get(0);
        }
        StringBuilder sb = new StringBuilder(subject).append(": ").append(problems.size()).append(" problems:");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
