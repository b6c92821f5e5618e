package io.flowport.it.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class SkippedTestsSummaryTest {

    private static void report(Path root, String module, String dir, String name, String body) throws Exception {
        Path d = Files.createDirectories(root.resolve(module).resolve("target").resolve(dir));
        Files.writeString(d.resolve("TEST-" + name + ".xml"), "<?xml version=\"1.0\"?>\n<testsuite name=\"" + name
                + "\">" + body + "</testsuite>");
    }

    @Test
    void countsSkippedTestsOfEveryModuleByReasonAndIgnoresOldReports(@TempDir Path root) throws Exception {
        String registry = "the docker-registry binary is not on PATH; install it with: apt-get install -y "
                + "docker-registry";
        report(root, "storage-image", "failsafe-reports", "A", "<testcase name=\"a\"><skipped message=\"" + registry
                + "\"/></testcase><testcase name=\"b\"><skipped message=\"" + registry + "\"/></testcase>");
        report(root, "integration-tests", "failsafe-reports", "B", "<testcase name=\"c\"><skipped message=\""
                + registry + "\"/></testcase><testcase name=\"d\"/>");
        report(root, "env-fargate", "surefire-reports", "C", "<testcase name=\"e\"><skipped message=\"Assumption "
                + "failed: Docker is not running\"/></testcase>");
        report(root, "core", "surefire-reports", "Abort", "<testcase name=\"g\"><skipped type=\"org.opentest4j."
                + "TestAbortedException\"><![CDATA[org.opentest4j.TestAbortedException: Assumption failed: no "
                + "PostgreSQL here\n\tat org.junit.jupiter.api.Assumptions.assumeTrue(Assumptions.java:127)\n]]>"
                + "</skipped></testcase>");
        report(root, "core", "surefire-reports", "Old", "<testcase name=\"f\"><skipped message=\"stale\"/>"
                + "</testcase>");
        Instant start = Instant.now();
        Files.setLastModifiedTime(root.resolve("core/target/surefire-reports/TEST-Old.xml"),
                FileTime.from(start.minusSeconds(3600)));

        assertThat(SkippedTestsSummary.summary(root, start.minusSeconds(60)))
                .isEqualTo("[flowport] tests skipped in this build: 5: " + registry + " (3), no PostgreSQL here (1)"
                        + ", Docker is not running (1) [4 test reports]");
        assertThat(SkippedTestsSummary.summary(root, Instant.EPOCH)).contains("stale (1)");
    }

    @Test
    void saysSoWhenNothingWasSkipped(@TempDir Path root) throws Exception {
        report(root, "core", "surefire-reports", "A", "<testcase name=\"a\"/>");
        assertThat(SkippedTestsSummary.summary(root, Instant.EPOCH))
                .isEqualTo("[flowport] tests skipped in this build: 0 [1 test reports]");
    }
}
