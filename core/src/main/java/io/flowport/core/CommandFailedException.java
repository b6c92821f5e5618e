package io.flowport.core;

/** A command exited with a non-zero code. Carries its {@link CommandResult}. */
public class CommandFailedException extends FlowportException {
    private static final long serialVersionUID = 1L;

    private final transient CommandResult result;

    /** Creates the exception for a finished command. */
    public CommandFailedException(String program, CommandResult result) {
        super("command '" + program + "' exited with code " + result.exitCode() + lastLine(result.stderr()));
        this.result = result;
    }

    /** The command's exit code and output. */
    public CommandResult result() {
        return result;
    }

    private static String lastLine(String stderr) {
        String s = stderr.strip();
        if (s.isEmpty()) {
            return "";
        }
        int nl = s.lastIndexOf('\n');
        return ": " + (nl >= 0 ? s.substring(nl + 1) : s);
    }
}
