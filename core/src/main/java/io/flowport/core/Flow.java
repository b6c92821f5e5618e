package io.flowport.core;

import io.flowport.core.internal.Json;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A named graph of tasks with typed parameters. Immutable once built; build one with {@link #builder(String)}.
 *
 * <p>Building checks the graph: duplicate task names, upstream names that do not exist and cycles are
 * rejected with a {@link ConfigurationException} that names them.
 *
 * <p>A <em>command flow</em> ({@link #command(String, CommandSpec)}) runs one OS or container command;
 * remote environments run that command as the container's own command, so the image needs no JVM.
 */
public final class Flow {

    private final String name;
    private final Map<String, Parameter<?>> parameters;
    private final List<TaskSpec> tasks;          // topological order
    private final Map<String, Integer> indexByName;
    private final int[][] upstreamIndex;        // per task, indices of its upstream tasks
    private final int[][] downstreamIndex;      // per task, indices of its downstream tasks
    private final CommandSpec command;

    private Flow(String name, Map<String, Parameter<?>> parameters, List<TaskSpec> tasks, CommandSpec command) {
        this.name = name;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        this.command = command;
        Graph g = Graph.compile(name, tasks);
        this.tasks = g.ordered;
        this.indexByName = g.indexByName;
        this.upstreamIndex = g.upstream;
        this.downstreamIndex = g.downstream;
    }

    /** Starts a builder for a flow called {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * A command flow: one task called {@code command} that runs {@code spec} and fails on a non-zero exit code.
     */
    public static Flow command(String name, CommandSpec spec) {
        Objects.requireNonNull(spec, "spec");
        Builder b = builder(name);
        b.command = spec;
        // the command enforces its own timeout, killing the process tree
        return b.task("command", new CommandTask(spec)).build();
    }

    /** The flow's name. */
    public String name() {
        return name;
    }

    /** The declared parameters, by name, in declaration order. */
    public Map<String, Parameter<?>> parameters() {
        return parameters;
    }

    /** The tasks in a topological order (every task after its upstream tasks). */
    public List<TaskSpec> tasks() {
        return tasks;
    }

    /** The number of tasks. */
    public int size() {
        return tasks.size();
    }

    /** The task called {@code name}, if any. */
    public Optional<TaskSpec> task(String name) {
        Integer i = indexByName.get(name);
        return i == null ? Optional.empty() : Optional.of(tasks.get(i));
    }

    /** For a command flow, the command it runs. */
    public Optional<CommandSpec> commandSpec() {
        return Optional.ofNullable(command);
    }

    /**
     * Checks and completes the parameters of a run: unknown names, missing required ones and values that do
     * not convert are all reported in one {@link ConfigurationException}; defaults fill the rest.
     *
     * @return the resolved values, in declaration order
     */
    public Map<String, Object> resolveParameters(Map<String, ?> given) {
        Map<String, ?> values = given == null ? Map.of() : given;
        List<String> problems = new ArrayList<>();
        for (String key : values.keySet()) {
            if (!parameters.containsKey(key)) {
                problems.add("unknown parameter '" + key + "'; known parameters: "
                        + (parameters.isEmpty() ? "(none)" : String.join(", ", parameters.keySet())));
            }
        }
        Map<String, Object> resolved = new LinkedHashMap<>();
        for (Parameter<?> p : parameters.values()) {
            if (values.containsKey(p.name())) {
                Object raw = values.get(p.name());
                try {
                    resolved.put(p.name(), Json.convert(raw, p.type()));
                } catch (IllegalArgumentException e) {
                    problems.add("parameter '" + p.name() + "': cannot convert " + Json.describe(raw) + " to "
                            + p.type().getSimpleName());
                }
            } else if (p.required()) {
                problems.add("missing required parameter '" + p.name() + "' (" + p.type().getSimpleName() + ")");
            } else {
                resolved.put(p.name(), p.defaultValue());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("flow '" + name + "'", problems);
        }
        return Collections.unmodifiableMap(resolved);
    }

    // package-private views used by the executors
    int[] upstreamOf(int task) {
        return upstreamIndex[task];
    }

    int[] downstreamOf(int task) {
        return downstreamIndex[task];
    }

    int indexOf(String task) {
        Integer i = indexByName.get(task);
        return i == null ? -1 : i;
    }

    @Override
    public String toString() {
        return "Flow[" + name + ", " + tasks.size() + " tasks]";
    }

    /** Builds a {@link Flow}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final Map<String, Parameter<?>> parameters = new LinkedHashMap<>();
        private final List<TaskSpec> tasks = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private CommandSpec command;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new ConfigurationException("flow name must not be blank");
            }
            this.name = name;
        }

        /** Declares a parameter. */
        public Builder parameter(Parameter<?> parameter) {
            Objects.requireNonNull(parameter, "parameter");
            if (parameters.putIfAbsent(parameter.name(), parameter) != null) {
                problems.add("duplicate parameter '" + parameter.name() + "'");
            }
            return this;
        }

        /** Declares an optional parameter with a default value. */
        public <T> Builder parameter(String name, Class<T> type, T defaultValue) {
            return parameter(Parameter.optional(name, type, defaultValue));
        }

        /** Declares a required parameter. */
        public <T> Builder requiredParameter(String name, Class<T> type) {
            return parameter(Parameter.required(name, type));
        }

        /** Adds a fully described task. */
        public Builder task(TaskSpec task) {
            tasks.add(Objects.requireNonNull(task, "task"));
            return this;
        }

        /** Adds a task with no upstream tasks and default settings. */
        public Builder task(String name, TaskFunction function) {
            return task(name).run(function);
        }

        /** Starts describing a task; finish with {@link TaskBuilder#run(TaskFunction)}. */
        public TaskBuilder task(String name) {
            return new TaskBuilder(this, name);
        }

        /**
         * Builds the flow.
         *
         * @throws ConfigurationException naming every duplicate, dangling reference and cycle
         */
        public Flow build() {
            if (!problems.isEmpty()) {
                throw new ConfigurationException("flow '" + name + "'", problems);
            }
            return new Flow(name, parameters, tasks, command);
        }
    }

    /** Describes one task of a {@link Builder}. */
    public static final class TaskBuilder {
        private final Builder owner;
        private final String name;
        private final List<String> upstream = new ArrayList<>();
        private int retries;
        private Duration retryDelay = Duration.ZERO;
        private Duration timeout;

        private TaskBuilder(Builder owner, String name) {
            this.owner = owner;
            this.name = Objects.requireNonNull(name, "name");
        }

        /** The tasks whose results this task takes as input. */
        public TaskBuilder after(String... upstreamTasks) {
            upstream.addAll(Arrays.asList(upstreamTasks));
            return this;
        }

        /** The tasks whose results this task takes as input. */
        public TaskBuilder after(List<String> upstreamTasks) {
            upstream.addAll(upstreamTasks);
            return this;
        }

        /** Retries a failed attempt {@code count} times, pausing {@code delay} in between. */
        public TaskBuilder retries(int count, Duration delay) {
            this.retries = count;
            this.retryDelay = Objects.requireNonNull(delay, "delay");
            return this;
        }

        /** Fails an attempt that runs longer than {@code timeout} (state {@code TimedOut}). */
        public TaskBuilder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Sets the body and adds the task to the flow. */
        public Builder run(TaskFunction function) {
            return owner.task(new TaskSpec(name, upstream, retries, retryDelay, timeout, function));
        }
    }

    /** The compiled graph: topological order and adjacency as index arrays. */
    private static final class Graph {
        List<TaskSpec> ordered;
        Map<String, Integer> indexByName;
        int[][] upstream;
        int[][] downstream;

        static Graph compile(String flowName, List<TaskSpec> declared) {
            List<String> problems = new ArrayList<>();
            int n = declared.size();
            Map<String, Integer> declaredIndex = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                if (declaredIndex.putIfAbsent(declared.get(i).name(), i) != null) {
                    problems.add("duplicate task name '" + declared.get(i).name() + "'");
                }
            }
            int[][] up = new int[n][];
            int[] downCount = new int[n];
            for (int i = 0; i < n; i++) {
                TaskSpec t = declared.get(i);
                int[] u = new int[t.upstream().size()];
                for (int k = 0; k < u.length; k++) {
                    String ref = t.upstream().get(k);
                    Integer j = declaredIndex.get(ref);
                    if (j == null) {
                        problems.add("task '" + t.name() + "' depends on unknown task '" + ref + "'");
                        u[k] = -1;
                    } else if (j == i) {
                        problems.add("task '" + t.name() + "' depends on itself (cycle: " + ref + " -> " + ref + ")");
                        u[k] = -1;
                    } else {
                        u[k] = j;
                        downCount[j]++;
                    }
                }
                up[i] = u;
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException("flow '" + flowName + "'", problems);
            }
            int[][] down = new int[n][];
            for (int i = 0; i < n; i++) {
                down[i] = new int[downCount[i]];
            }
            int[] fill = new int[n];
            int[] indegree = new int[n];
            for (int i = 0; i < n; i++) {
                for (int j : up[i]) {
                    down[j][fill[j]++] = i;
                    indegree[i]++;
                }
            }
            // Kahn's algorithm, keeping declaration order among ready tasks
            int[] order = new int[n];
            int head = 0;
            int tail = 0;
            for (int i = 0; i < n; i++) {
                if (indegree[i] == 0) {
                    order[tail++] = i;
                }
            }
            while (head < tail) {
                int i = order[head++];
                for (int d : down[i]) {
                    if (--indegree[d] == 0) {
                        order[tail++] = d;
                    }
                }
            }
            if (tail < n) {
                throw new ConfigurationException("flow '" + flowName + "'",
                        List.of("tasks form a cycle: " + describeCycle(declared, up, indegree)));
            }
            // renumber into topological order
            int[] newIndex = new int[n];
            for (int k = 0; k < n; k++) {
                newIndex[order[k]] = k;
            }
            Graph g = new Graph();
            List<TaskSpec> ordered = new ArrayList<>(n);
            Map<String, Integer> index = new HashMap<>(n * 2);
            g.upstream = new int[n][];
            g.downstream = new int[n][];
            for (int k = 0; k < n; k++) {
                int old = order[k];
                ordered.add(declared.get(old));
                index.put(declared.get(old).name(), k);
                g.upstream[k] = remap(up[old], newIndex);
                g.downstream[k] = remap(down[old], newIndex);
            }
            g.ordered = Collections.unmodifiableList(ordered);
            g.indexByName = index;
            return g;
        }

        private static int[] remap(int[] ids, int[] newIndex) {
            if (ids.length == 0) {
                return ids;
            }
            int[] r = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                r[i] = newIndex[ids[i]];
            }
            return r;
        }

        /** Follows upstream edges among the tasks left in the cycle until one repeats. */
        private static String describeCycle(List<TaskSpec> declared, int[][] up, int[] indegree) {
            int start = -1;
            for (int i = 0; i < indegree.length && start < 0; i++) {
                if (indegree[i] > 0) {
                    start = i;
                }
            }
            Map<Integer, Integer> seenAt = new HashMap<>();
            List<Integer> path = new ArrayList<>();
            int cur = start;
            while (!seenAt.containsKey(cur)) {
                seenAt.put(cur, path.size());
                path.add(cur);
                int next = -1;
                for (int j : up[cur]) {
                    if (indegree[j] > 0) {
                        next = j;
                        break;
                    }
                }
                cur = next;
            }
            List<Integer> cycle = new ArrayList<>(path.subList(seenAt.get(cur), path.size()));
            Collections.reverse(cycle); // upstream edges were followed; show it in run order
            StringBuilder sb = new StringBuilder();
            ArrayDeque<Integer> q = new ArrayDeque<>(cycle);
            q.add(cycle.get(0));
            while (!q.isEmpty()) {
                sb.append(declared.get(q.poll()).name());
                if (!q.isEmpty()) {
                    sb.append(" -> ");
                }
            }
            return sb.toString();
        }
    }
}
