package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An OS or container command: arguments, extra environment variables, working directory and timeout.
 *
 * @param command     the program and its arguments (at least the program)
 * @param environment variables added to the inherited environment
 * @param workingDir  the working directory, or {@code null} for the current one
 * @param timeout     longest run time, or {@code null} for none; the process tree is killed when it passes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CommandSpec(List<String> command, Map<String, String> environment, Path workingDir, Duration timeout) {

    /**
     * Validates the command (a program is required, a timeout must be positive) and copies its collections.
     *
     * @throws ConfigurationException naming the problem
     */
    @JsonCreator
    public CommandSpec(@JsonProperty("command") List<String> command,
                       @JsonProperty("environment") Map<String, String> environment,
                       @JsonProperty("workingDir") Path workingDir,
                       @JsonProperty("timeout") Duration timeout) {
        Objects.requireNonNull(command, "command");
        if (command.isEmpty() || command.get(0) == null || command.get(0).isBlank()) {
            throw new ConfigurationException("command: the program to run is missing; give at least one argument");
        }
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new ConfigurationException("command: timeout must be positive, was " + timeout);
        }
        this.command = List.copyOf(command);
        this.environment = environment == null ? Map.of() : Map.copyOf(environment);
        this.workingDir = workingDir;
        this.timeout = timeout;
    }

    /** A command with no extra environment, the current directory and no timeout. */
    public static CommandSpec of(String... command) {
        return new CommandSpec(List.of(command), Map.of(), null, null);
    }

    /** A copy with an extra environment variable. */
    public CommandSpec withEnv(String name, String value) {
        Map<String, String> env = new java.util.LinkedHashMap<>(environment);
        env.put(name, value);
        return new CommandSpec(command, env, workingDir, timeout);
    }

    /** A copy with a working directory. */
    public CommandSpec withWorkingDir(Path dir) {
        return new CommandSpec(command, environment, dir, timeout);
    }

    /** A copy with a timeout. */
    public CommandSpec withTimeout(Duration t) {
        return new CommandSpec(command, environment, workingDir, t);
    }
}
