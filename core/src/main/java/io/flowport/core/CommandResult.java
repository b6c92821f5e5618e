package io.flowport.core;

import java.time.Duration;

/**
 * What a finished command left: its exit code and the tail of its output.
 *
 * @param exitCode the process's exit code
 * @param stdout   standard output (at most the last {@link CommandTask#MAX_CAPTURED_CHARS} characters)
 * @param stderr   standard error (same limit)
 * @param duration how long it ran
 */
public record CommandResult(int exitCode, String stdout, String stderr, Duration duration) {
}
