package io.flowport.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged command as a user runs it: the CLI jar alone runs the demo; cloud providers come from the plugin
 * directory next to it (or {@code $FLOWPORT_PLUGINS}), never from the jar.
 */
class CliJarIT {

    static Path jar;
    static Path plugins;

    @BeforeAll
    static void packaged() {
        jar = Paths.get(System.getProperty("cli.jar", "target/flowport-cli-0.1.0-SNAPSHOT-all.jar"));
        plugins = jar.resolveSibling("plugins");
        assertThat(jar).as("the shaded CLI jar (run after package)").isRegularFile();
        assertThat(plugins).as("the plugin directory the build fills").isDirectory();
    }

    record Result(int code, String out) {
    }

    static Result flowport(Path dir, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", jar.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().remove(Plugins.VARIABLE);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("flowport %s finishes", List.of(args)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @Test
    void theDemoRunsFromTheJarAloneWithoutAnyPlugin(@TempDir Path dir) throws Exception {
        Path alone = Files.copy(jar, dir.resolve("flowport.jar"));
        jar = alone;
        try {
            Result r = flowport(dir, Map.of(), "demo", "--no-progress", "--output",
                    dir.resolve("report.txt").toString());
            assertThat(r.code()).as(r.out()).isZero();
            assertThat(r.out()).contains("of 'demo-etl': Success: 7 tasks succeeded");
            assertThat(dir.resolve("report.txt")).content().contains("237 records");
        } finally {
            packaged();
        }
    }

    @Test
    void providersComeFromThePluginDirectoryNextToTheJar(@TempDir Path dir) throws Exception {
        Result with = flowport(dir, Map.of(), "types");
        assertThat(with.code()).as(with.out()).isZero();
        assertThat(with.out())
                .contains("environments: aci-container-group, cloud-run-job, dask-cloud-provider, dask-kubernetes, fargate-task, "
                        + "kubernetes-job, local, local-process")
                .contains("from " + plugins.toAbsolutePath());

        Path empty = Files.createDirectories(dir.resolve("no-plugins"));
        Result without = flowport(dir, Map.of(Plugins.VARIABLE, empty.toString()), "types");
        assertThat(without.out()).contains("environments: local, local-process").doesNotContain("fargate");
    }

    @Test
    void anExecutorTypeFromAPluginIsReadToo(@TempDir Path dir) throws Exception {
        // the dask executor lives in a plugin; the scheduler does not exist, so the run crashes saying so
        Path env = Files.writeString(dir.resolve("dask.yaml"), "type: local\nexecutor:\n  type: dask\n"
                + "  address: tcp://127.0.0.1:9\n  connectTimeout: PT2S\n");
        Result r = flowport(dir, Map.of(), "run", "--flow", "demo-etl", "--env", env.toString());
        assertThat(r.out()).doesNotContain("unknown").doesNotContain("Could not resolve type id");
        assertThat(r.code()).as(r.out()).isEqualTo(0);
    }

    @Test
    void aProviderDocumentIsReadThroughThePluginsWithErrorsInOurWords(@TempDir Path dir) throws Exception {
        Path env = Files.writeString(dir.resolve("fargate.yaml"), "type: fargate-task\nsubnet: [subnet-1]\n");
        Result typo = flowport(dir, Map.of(), "run", "--flow", "demo-etl", "--env", env.toString());
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.out()).contains("subnet", "fargate-task", "did you mean", "subnets")
                .doesNotContain("$Builder").doesNotContain("Unrecognized field");

        Path empty = Files.createDirectories(dir.resolve("no-plugins"));
        Result missing = flowport(dir, Map.of(Plugins.VARIABLE, empty.toString()), "run", "--flow", "demo-etl",
                "--env", env.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.out()).contains("unknown environment type 'fargate-task'")
                .contains("add the dependency io.flowport:flowport-env-fargate")
                .contains("providers are read from $FLOWPORT_PLUGINS (" + empty + ") and --classpath");
    }

    @Test
    void theQueueCommandsRunFromTheJarWithTheAgentAsAPlugin(@TempDir Path dir) throws Exception {
        String queue = dir.resolve("queue.db").toString();
        Path env = Files.writeString(dir.resolve("env.yaml"), "type: local\nexecutor: {type: sequential}\n"
                + "labels: [demo]\n");
        Result submitted = flowport(dir, Map.of(), "submit", "--flow", "demo-etl", "--env", env.toString(),
                "-p", "latencyMs=0", "-p", "output=" + dir.resolve("report.txt"), "--queue", queue);
        assertThat(submitted.code()).as(submitted.out()).isZero();
        String id = submitted.out().lines().reduce((a, b) -> b).orElseThrow().trim();
        Result agent = flowport(dir, Map.of(), "agent", "start", "--labels", "demo", "--queue", queue,
                "--stop-after", "8s", "--ttl", "off", "--name", "jar-agent", "--processes",
                dir.resolve("processes").toString());
        assertThat(agent.code()).as(agent.out()).isZero();
        Result shown = flowport(dir, Map.of(), "runs", "show", id, "--queue", queue);
        assertThat(shown.out()).contains("state      SUCCESS").contains("claimed by agent jar-agent");
        assertThat(dir.resolve("report.txt")).exists();

        Path empty = Files.createDirectories(dir.resolve("no-plugins"));
        Result without = flowport(dir, Map.of(Plugins.VARIABLE, empty.toString()), "runs", "list", "--queue", queue);
        assertThat(without.code()).isEqualTo(2);
        assertThat(without.out()).contains("'runs' needs io.flowport:flowport-agent");
    }

    @Test
    void noClassIsBothInTheJarAndInAPluginAndTheJarStaysSmall() throws IOException {
        Set<String> bundled = classes(jar);
        assertThat(bundled).contains("io/flowport/core/Flow.class", "io/flowport/env/local/LocalEnvironment.class",
                "picocli/CommandLine.class");
        assertThat(bundled).noneMatch(c -> c.startsWith("io/flowport/env/fargate/")
                || c.startsWith("io/flowport/env/kubernetes/") || c.startsWith("io/flowport/env/cloudrun/")
                || c.startsWith("software/amazon/") || c.startsWith("io/fabric8/")
                || c.startsWith("io/flowport/env/aci/") || c.startsWith("io/flowport/env/dask/")
                || c.startsWith("com/google/cloud/") || c.startsWith("com/azure/")
                || c.startsWith("io/flowport/agent/") || c.startsWith("org/sqlite/") || c.startsWith("org/flywaydb/"));
        Map<String, List<String>> twice = new HashMap<>();
        try (Stream<Path> s = Files.list(plugins)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                for (String c : classes(p)) {
                    if (bundled.contains(c)) {
                        twice.computeIfAbsent(p.getFileName().toString(), k -> new ArrayList<>()).add(c);
                    }
                }
            }
        }
        assertThat(twice).as("classes in the CLI jar and in a plugin (add the plugin's artifact to cli.bundled)")
                .isEmpty();
        // the jar held every provider's SDK (34 MB) before they moved to plugins
        assertThat(Files.size(jar)).isLessThan(8L * 1024 * 1024);
    }

    private static Set<String> classes(Path jarFile) throws IOException {
        Set<String> names = new HashSet<>();
        try (JarFile j = new JarFile(jarFile.toFile())) {
            j.stream().map(e -> e.getName())
                    .filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/") && !n.endsWith("module-info.class"))
                    .forEach(names::add);
        }
        return names;
    }
}
