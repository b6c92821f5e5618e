package io.flowport.env.dask;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.concurrent.TimeUnit;

/**
 * Skips a test, with the reason, where Debian's Python with Dask's {@code distributed} is missing. Install it with
 * {@code apt-get install -y python3-distributed} ({@code .ci/run} does).
 */
public final class RequiresDask implements ExecutionCondition {

    private static volatile Boolean available;

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return available() ? ConditionEvaluationResult.enabled("Dask is installed")
                : ConditionEvaluationResult.disabled("needs Dask: " + DaskExecutor.DEFAULT_PYTHON + " with the"
                + " distributed package (apt-get install -y python3-distributed)");
    }

    static boolean available() {
        Boolean a = available;
        if (a == null) {
            try {
                Process p = new ProcessBuilder(DaskExecutor.DEFAULT_PYTHON, "-c", "import distributed")
                        .redirectErrorStream(true).start();
                a = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (Exception e) {
                a = false;
            }
            available = a;
        }
        return a;
    }
}
