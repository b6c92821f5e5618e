package io.flowport.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void demoRunsTheEtlFlowAndWritesTheReport(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("report.txt");
        int code = Main.execute("demo", "--output", report.toString());
        assertThat(code).isZero();
        assertThat(out()).contains("TASK").contains("transform-north  Success")
                .contains("of 'demo-etl': Success: 7 tasks succeeded");
        assertThat(err()).contains("[7/7]");
        String text = Files.readString(report);
        assertThat(text).contains("total              69080.40").contains("237 records, 3 rejected");
    }

    @Test
    void runTakesAnEnvironmentFileAndParameters(@TempDir Path dir) throws Exception {
        Path env = dir.resolve("env.yaml");
        Files.writeString(env, "type: local\nexecutor: {type: sequential}\nlabels: [demo]\n");
        Path report = dir.resolve("r.txt");
        int code = Main.execute("run", "--flow", "demo-etl", "--env", env.toString(), "--no-progress",
                "-p", "output=" + report, "-p", "latencyMs=0", "-p", "taxRate=0");
        assertThat(code).isZero();
        assertThat(Files.readString(report)).contains("total              57567.00");
    }

    @Test
    void runInAChildJvmThroughTheLocalProcessEnvironment(@TempDir Path dir) throws Exception {
        Path env = dir.resolve("env.json");
        Files.writeString(env, "{\"type\":\"local-process\",\"jvmOptions\":[\"-Xmx128m\"]}");
        Path report = dir.resolve("r.txt");
        int code = Main.execute("run", "--flow", "demo-etl", "--env", env.toString(), "--no-progress",
                "-p", "output=" + report, "-p", "latencyMs=0");
        assertThat(code).as(out()).isZero();
        assertThat(Files.readString(report)).contains("237 records");
    }

    @Test
    void runFindsAFlowOfTheUsersOwnCodeThroughClasspath(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src/acme/Flows.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, "package acme;\n"
                + "public final class Flows implements io.flowport.core.FlowProvider {\n"
                + "  public java.util.List<io.flowport.core.Flow> flows() {\n"
                + "    return java.util.List.of(io.flowport.core.Flow.builder(\"acme-double\")\n"
                + "        .parameter(\"n\", Integer.class, 1)\n"
                + "        .task(\"double\", ctx -> 2 * ctx.parameter(\"n\", Integer.class)).build());\n"
                + "  }\n"
                + "}\n");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        int javac = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertThat(javac).isZero();
        Path services = classes.resolve("META-INF/services/io.flowport.core.FlowProvider");
        Files.createDirectories(services.getParent());
        Files.writeString(services, "acme.Flows\n");

        assertThat(Main.execute("run", "--flow", "acme-double", "--classpath", classes.toString(), "-p", "n=21",
                "--no-progress")).isZero();
        assertThat(out()).contains("double  Success").contains("of 'acme-double': Success");
    }

    @Test
    void badArgumentsPrintUsageAndExitTwo(@TempDir Path dir) throws Exception {
        assertThat(Main.execute()).isEqualTo(2);
        assertThat(err()).contains("a command is required").contains("Usage: flowport");

        err.reset();
        assertThat(Main.execute("run")).isEqualTo(2);
        assertThat(err()).contains("Missing required option: '--flow=LOCATION'");

        err.reset();
        assertThat(Main.execute("run", "--flow", "demo-etl", "--timeout", "soon")).isEqualTo(2);
        assertThat(err()).contains("--timeout: cannot read 'soon' as a duration");

        err.reset();
        assertThat(Main.execute("run", "--flow", "demo-etl", "--env", dir.resolve("none.json").toString()))
                .isEqualTo(2);
        assertThat(err()).contains("--env: no such file");

        err.reset();
        assertThat(Main.execute("run", "--flow", "x", "--classpath", dir.resolve("nope.jar").toString()))
                .isEqualTo(2);
        assertThat(err()).contains("--classpath: no such file or directory");

        err.reset();
        assertThat(Main.execute("demo", "--threads", "0")).isEqualTo(2);
        assertThat(err()).contains("--threads must be at least 1");
    }

    @Test
    void badFlowsParametersAndEnvironmentsNameTheProblem(@TempDir Path dir) throws Exception {
        assertThat(Main.execute("run", "--flow", "nope", "--no-progress")).isEqualTo(2);
        assertThat(err()).contains("no flow at location 'nope'").contains("demo-etl");

        err.reset();
        assertThat(Main.execute("run", "--flow", "demo-etl", "-p", "colour=red", "--no-progress")).isEqualTo(2);
        assertThat(err()).contains("unknown parameter 'colour'; known parameters: input, output, taxRate, latencyMs");

        err.reset();
        Path env = dir.resolve("fargate.json");
        // a misspelt type: the closest installed ones are named
        Files.writeString(env, "{\"type\":\"dask-kubernets\"}");
        assertThat(Main.execute("run", "--flow", "demo-etl", "--env", env.toString())).isEqualTo(2);
        assertThat(err()).contains("unknown environment type 'dask-kubernets'").contains("dask-kubernetes")
                .contains("providers are read from");

        err.reset();
        Files.writeString(env, "{\"type\":\"fargate-task\",\"subnet\":[\"subnet-1\"]}");
        assertThat(Main.execute("run", "--flow", "demo-etl", "--env", env.toString())).isEqualTo(2);
        // env-fargate words its own unknown-key errors (it also refuses credentials): the field, the type, the
        // closest setting, never Jackson's text or a builder class
        assertThat(err()).contains("subnet", "fargate-task", "did you mean", "subnets")
                .doesNotContain("$Builder", "Unrecognized field");
    }

    @Test
    void typesListsWhatIsInstalled() {
        assertThat(Main.execute("types")).isZero();
        assertThat(out()).contains("environments: aci-container-group, cli-test-closing, cloud-run-job, "
                + "dask-cloud-provider, dask-kubernetes, fargate-task, kubernetes-job, local, local-process").contains("demo-etl");
    }

    @Test
    void runClosesTheEnvironmentItRead(@TempDir Path dir) throws Exception {
        Path env = Files.writeString(dir.resolve("env.yaml"), "type: cli-test-closing\n");
        int before = ClosingEnvironment.CLOSED.get();
        assertThat(Main.execute("run", "--flow", "demo-etl", "--env", env.toString(), "--no-progress",
                "-p", "output=" + dir.resolve("r.txt"), "-p", "latencyMs=0")).isZero();
        assertThat(ClosingEnvironment.CLOSED.get()).isEqualTo(before + 1);
        // also when the run fails on bad input after the environment was read
        assertThat(Main.execute("run", "--flow", "nope", "--env", env.toString(), "--no-progress")).isEqualTo(2);
        assertThat(ClosingEnvironment.CLOSED.get()).isEqualTo(before + 2);
    }

    @Test
    void runClosesTheJarsOfItsClasspath(@TempDir Path dir) throws Exception {
        Path fds = Path.of("/proc/self/fd");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(fds),
                "needs /proc/self/fd (Linux) to see which files the JVM holds open");
        Path jar = userFlowJar(dir, "acme-jar");
        assertThat(Main.execute("run", "--flow", "acme-jar", "--classpath", jar.toString(), "--no-progress"))
                .isZero();
        assertThat(out()).contains("of 'acme-jar': Success");
        assertThat(openFiles(fds)).doesNotContain(jar.toRealPath());
    }

    @Test
    void classpathEntriesAreSeparatedByThePlatformsPathSeparator(@TempDir Path dir) throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        String saved = System.getProperty("path.separator");
        try {
            // as on Windows: the separator is read when the command line is built
            System.setProperty("path.separator", ";");
            RunCommand run = new RunCommand();
            new picocli.CommandLine(run).parseArgs("--flow", "x", "--classpath", a + ";" + b);
            assertThat(run.classpath).containsExactly(a, b);
        } finally {
            System.setProperty("path.separator", saved);
        }
        RunCommand run = new RunCommand();
        new picocli.CommandLine(run).parseArgs("--flow", "x", "-cp", a + java.io.File.pathSeparator + b);
        assertThat(run.classpath).containsExactly(a, b);
    }

    /** A jar with one FlowProvider offering {@code name}. */
    private static Path userFlowJar(Path dir, String name) throws Exception {
        Path src = dir.resolve("src/acme/JarFlows.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, "package acme;\n"
                + "public final class JarFlows implements io.flowport.core.FlowProvider {\n"
                + "  public java.util.List<io.flowport.core.Flow> flows() {\n"
                + "    return java.util.List.of(io.flowport.core.Flow.builder(\"" + name + "\")\n"
                + "        .task(\"t\", ctx -> 42).build());\n"
                + "  }\n"
                + "}\n");
        Path classes = Files.createDirectories(dir.resolve("jar-classes"));
        int javac = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertThat(javac).isZero();
        Path jar = dir.resolve("flows.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry("META-INF/services/io.flowport.core.FlowProvider"));
            out.write("acme.JarFlows\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            out.putNextEntry(new java.util.jar.JarEntry("acme/JarFlows.class"));
            out.write(Files.readAllBytes(classes.resolve("acme/JarFlows.class")));
            out.closeEntry();
        }
        return jar;
    }

    private static java.util.List<Path> openFiles(Path fds) throws java.io.IOException {
        java.util.List<Path> open = new java.util.ArrayList<>();
        try (var s = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    open.add(Files.readSymbolicLink(fd));
                } catch (java.io.IOException | UnsupportedOperationException e) {
                    // closed between listing and reading
                }
            }
        }
        return open;
    }
}
