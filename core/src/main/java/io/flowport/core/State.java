package io.flowport.core;

import java.util.Objects;
import java.util.Optional;

/**
 * The state of a task or a flow run: its type, a message for people, and the cause when it failed.
 *
 * @param type    the kind of state
 * @param message a short explanation (may be empty, never null)
 * @param cause   the error behind a failed state, or {@code null}
 */
public record State(StateType type, String message, Throwable cause) {

    /** Creates a state; a {@code null} message becomes empty. */
    public State {
        Objects.requireNonNull(type, "type");
        message = message == null ? "" : message;
    }

    /** A state with a message and no cause. */
    public static State of(StateType type, String message) {
        return new State(type, message, null);
    }

    /** {@code Pending}. */
    public static State pending() {
        return new State(StateType.PENDING, "", null);
    }

    /** {@code Running}. */
    public static State running() {
        return new State(StateType.RUNNING, "", null);
    }

    /** {@code Success} with a message. */
    public static State success(String message) {
        return new State(StateType.SUCCESS, message, null);
    }

    /** {@code Failed} with a message and the cause. */
    public static State failed(String message, Throwable cause) {
        return new State(StateType.FAILED, message, cause);
    }

    /** {@code Crashed} with a message and the cause. */
    public static State crashed(String message, Throwable cause) {
        return new State(StateType.CRASHED, message, cause);
    }

    /** {@code Cancelled} with a message. */
    public static State cancelled(String message) {
        return new State(StateType.CANCELLED, message, null);
    }

    /** {@code TimedOut} with a message. */
    public static State timedOut(String message) {
        return new State(StateType.TIMED_OUT, message, null);
    }

    /** Whether the state is {@code Success}. */
    public boolean isSuccess() {
        return type == StateType.SUCCESS;
    }

    /** Whether the state is final. */
    public boolean isTerminal() {
        return type.isTerminal();
    }

    /** The cause, if any. */
    public Optional<Throwable> optionalCause() {
        return Optional.ofNullable(cause);
    }

    @Override
    public String toString() {
        return message.isEmpty() ? type.displayName() : type.displayName() + ": " + message;
    }
}
