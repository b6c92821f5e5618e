package io.flowport.agent.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.LocalDirectoryStorage;
import io.flowport.core.RunnerSettings;
import io.flowport.core.internal.ClassPaths;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendEnvironment;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.LaunchRequest;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How an agent runs a {@code local-process} environment: the same child process (a JVM through the runner entry
 * point, or a command flow's own command, with the same settings — {@code javaCommand}, {@code jvmOptions},
 * {@code classpath}, {@code environment}, {@code workingDirectory}), but started through {@link ProcessBackend} so
 * that it outlives the agent and the next agent reattaches to it by its labels. Built from the environment's
 * document; the runner in the child gets that same document. Not public API.
 */
public final class DetachedProcessEnvironment extends BackendEnvironment {

    /** The type of the documents this replaces. */
    public static final String TYPE = "local-process";

    private final ObjectNode document;
    private final String json;
    private final Path root;
    private final String javaCommand;
    private final List<String> jvmOptions = new ArrayList<>();
    private final List<Path> classpath = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final Path workingDirectory;

    private DetachedProcessEnvironment(Builder b, ObjectNode document, Path root) {
        super(b);
        this.document = document;
        this.json = document.toString();
        this.root = root;
        this.javaCommand = document.path("javaCommand").asText(null);
        document.path("jvmOptions").forEach(n -> jvmOptions.add(n.asText()));
        document.path("classpath").forEach(n -> classpath.add(Paths.get(n.asText())));
        for (Iterator<Map.Entry<String, JsonNode>> it = document.path("environment").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            environment.put(e.getKey(), e.getValue().asText());
        }
        String wd = document.path("workingDirectory").asText(null);
        this.workingDirectory = wd == null ? null : Paths.get(wd);
    }

    /**
     * The detached form of a {@code local-process} document (already read back as a valid environment by the
     * agent's factory, so its settings are known to be well-formed); units live under {@code root}.
     */
    public static DetachedProcessEnvironment of(ObjectNode document, Path root) {
        Builder b = new Builder();
        document.path("labels").forEach(n -> b.labels(n.asText()));
        JsonNode metadata = document.path("metadata");
        if (metadata.isObject()) {
            b.metadata(AgentJson.mapper().convertValue(metadata, Map.class));
        }
        return new DetachedProcessEnvironment(b, document.deepCopy(), root);
    }

    /** Its runs are {@code local-process} runs (in metrics and traces too); this class is never serialized. */
    @Override
    public String type() {
        return TYPE;
    }

    @Override
    protected Backend createBackend() {
        return new ProcessBackend(root, workingDirectory);
    }

    @Override
    protected BackendLifecycle.Settings lifecycleSettings() {
        // a local process starts at once and its status costs a few file reads: follow it closely
        return BackendLifecycle.Settings.builder().pollIntervals(java.time.Duration.ofMillis(200),
                java.time.Duration.ofSeconds(2)).threads(4).build();
    }

    @Override
    protected List<String> validate(Flow flow) {
        List<String> problems = new ArrayList<>();
        if (javaCommand != null && javaCommand.isBlank()) {
            problems.add("javaCommand must not be blank; leave it unset to use this JVM's java");
        }
        for (Path p : classpath) {
            if (!Files.exists(p)) {
                problems.add("classpath entry " + p + " does not exist");
            }
        }
        if (workingDirectory != null && !Files.isDirectory(workingDirectory)) {
            problems.add("workingDirectory " + workingDirectory + " is not a directory");
        }
        for (String key : environment.keySet()) {
            if (key.startsWith("FLOWPORT__")) {
                problems.add("environment: " + key + " is set by Flowport for each run; remove it");
            }
        }
        return problems;
    }

    @Override
    protected LaunchRequest launchRequest(Flow flow, FlowRun run) {
        List<String> command = flow.commandSpec().map(c -> c.command()).orElseGet(() -> javaCommand(run));
        return new LaunchRequest(run.id(), flow.name(), command,
                RunnerSettings.mergeEnvironment(environment, flow, RunnerSettings.variables(flow, run, json)),
                Labels.forRun(run.id(), flow.name()), run.id());
    }

    private List<String> javaCommand(FlowRun run) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCommand != null ? javaCommand
                : Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        List<Path> cp = classpath;
        if (cp.isEmpty() && run.storage().orElse(null) instanceof LocalDirectoryStorage dir
                && !dir.classpath().isEmpty()) {
            cp = dir.classpath();
        } else if (cp.isEmpty()) {
            cp = ClassPaths.current();
        }
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, cp.stream().map(Path::toString).toList()));
        cmd.add(RunnerSettings.MAIN_CLASS);
        return cmd;
    }

    @Override
    public String toString() {
        return "DetachedProcessEnvironment[" + root + ", labels=" + labels() + "]";
    }

    /** The document this was built from. */
    public ObjectNode document() {
        return document.deepCopy();
    }

    /** Builder of the common settings. */
    private static final class Builder extends AbstractEnvironment.Builder<Builder> {
    }
}
