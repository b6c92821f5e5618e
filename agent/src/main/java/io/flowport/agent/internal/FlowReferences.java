package io.flowport.agent.internal;

import io.flowport.agent.QueuedRun;
import io.flowport.core.ClasspathStorage;
import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowportException;
import io.flowport.core.Parameter;
import io.flowport.core.Serialization;
import io.flowport.core.Storage;

import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The flows and storages of queued runs, as an agent needs them. A run deployed to remote infrastructure needs only
 * a <em>reference</em>: the flow's name, its parameters' names (the runner checks their values where the code is),
 * and a command flow's command — so an agent without the flow's classes (image storage) still launches it. A run
 * executed in the agent's process needs the real flow, loaded from its storage. Storages and references are shared
 * between runs. Not public API.
 */
public final class FlowReferences {

    private static final int MAX_CACHED = 10_000;

    private final Map<String, Storage> storages = new ConcurrentHashMap<>();
    private final Map<String, Flow> references = new ConcurrentHashMap<>();
    private final Map<String, Flow> loaded = new ConcurrentHashMap<>();

    /**
     * The storage of a run ({@code null} JSON: the class path).
     *
     * @throws ConfigurationException if its type is not on the agent's class path (the message names the artifact)
     */
    public Storage storage(QueuedRun run) {
        String json = run.storageJson();
        if (json == null) {
            return new ClasspathStorage();
        }
        Storage s = storages.get(json);
        if (s == null) {
            s = Serialization.storageFromJson(json);
            if (storages.size() < MAX_CACHED) {
                storages.put(json, s);
            }
        }
        return s;
    }

    /** A reference to the run's flow (whose parameters are named {@code parameterNames}), enough to launch it elsewhere. */
    public Flow reference(QueuedRun run, java.util.Set<String> parameterNames) {
        String key = run.flowName() + '\0' + run.commandJson() + '\0' + new TreeSet<>(parameterNames);
        Flow f = references.get(key);
        if (f == null) {
            f = build(run, parameterNames, null);
            if (references.size() < MAX_CACHED) {
                references.put(key, f);
            }
        }
        return f;
    }

    /**
     * The real flow, loaded from the run's storage, for runs executed in this process; when it cannot be loaded, a
     * reference whose one task fails with the reason (so that an in-process run fails clearly instead of doing
     * nothing).
     */
    public Flow load(QueuedRun run, Storage storage) {
        String key = (run.storageJson() == null ? "classpath" : run.storageJson()) + '\0' + run.flowLocation();
        Flow f = loaded.get(key);
        if (f != null) {
            return f;
        }
        try {
            f = storage.load(run.flowLocation());
        } catch (FlowportException | LinkageError e) {
            return build(run, AgentJson.parameters(run.parametersJson()).keySet(), "flow '" + run.flowName()
                    + "' cannot be loaded from " + storage.name() + " at '" + run.flowLocation() + "' in the agent's "
                    + "process: " + e.getMessage());
        }
        if (loaded.size() < MAX_CACHED) {
            loaded.put(key, f);
        }
        return f;
    }

    private static Flow build(QueuedRun run, Iterable<String> parameterNames, String missing) {
        if (run.commandJson() != null) {
            CommandSpec spec;
            try {
                spec = AgentJson.mapper().readValue(run.commandJson(), CommandSpec.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new ConfigurationException("run " + run.id() + ": stored command is not valid: "
                        + e.getOriginalMessage());
            }
            return Flow.command(run.flowName(), spec);
        }
        Flow.Builder b = Flow.builder(run.flowName());
        for (String p : parameterNames) {
            b.parameter(Parameter.optional(p, Object.class, null));
        }
        String why = missing != null ? missing : "flow '" + run.flowName() + "' is only referenced here: its code runs"
                + " where its environment launches it, not in the agent";
        return b.task("flowport-flow-reference", ctx -> {
            throw new ConfigurationException(why);
        }).build();
    }
}
