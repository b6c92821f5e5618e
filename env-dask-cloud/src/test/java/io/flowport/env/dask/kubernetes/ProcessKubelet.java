package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * env-kubernetes's test kubelet, extended to give pods a life of their own: the first container's command of each
 * new pod runs as a local process, as a kubelet would run it in a container —
 *
 * <ul>
 *   <li>the pod gets its own loopback address (127.x.y.z; every pod has its own IP in a cluster, so fixed container
 *       ports such as the scheduler's 8786 do not collide), written to {@code status.podIP};</li>
 *   <li>the container's environment: literal values, the downward API fields {@code status.podIP},
 *       {@code metadata.name} and {@code metadata.namespace}, and {@code $(VAR)} references expanded in values,
 *       command and arguments, as the kubelet expands them;</li>
 *   <li>the Secret volumes the container mounts are written to a temporary directory (the volume's
 *       {@code items}, owner-only files), and paths under the mount path in the environment and arguments point
 *       there;</li>
 *   <li>its output goes into the pod's log, its exit into the pod's status ({@link #exit});</li>
 *   <li>a deleted pod's process is stopped (its stdin closes: Flowport's Dask launcher ends at once), as the
 *       kubelet stops a deleted pod's containers.</li>
 * </ul>
 *
 * A process sees only the pod's variables and {@code PATH}. {@link #hold(Predicate)} leaves chosen pods to the test,
 * which then plays them with the base class's status methods ({@link #waiting}, {@link #unschedulable} …).
 */
final class ProcessKubelet extends FakeKubelet {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][-._A-Za-z0-9]*)\\)");

    private final KubernetesClient client;
    private final Path root;
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final List<String> started = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextIp = new AtomicInteger();
    private final int ipBase = ThreadLocalRandom.current().nextInt(16, 200);
    private final SharedIndexInformer<Pod> deletions;
    private volatile Predicate<Pod> hold = p -> false;
    private final java.util.Set<String> oomKilled = ConcurrentHashMap.newKeySet();

    ProcessKubelet(KubernetesTestServer server, String namespace) {
        super(server, namespace);
        this.client = server.client();
        try {
            this.root = Files.createTempDirectory("process-kubelet-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        this.deletions = client.pods().inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
            }

            @Override
            public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                Process p = processes.get(pod.getMetadata().getName());
                if (p != null) {
                    Thread t = new Thread(() -> stop(p), "process-kubelet-stop");
                    t.setDaemon(true);
                    t.start();
                }
            }
        }, 0);
    }

    /** Pods for which {@code test} is true are not run: the test plays them. */
    ProcessKubelet hold(Predicate<Pod> test) {
        this.hold = test;
        return this;
    }

    /** Names of the pods run as processes so far. */
    List<String> started() {
        return List.copyOf(started);
    }

    /** The processes of pods that are still alive. */
    List<Process> alive() {
        return processes.values().stream().filter(Process::isAlive).toList();
    }

    /** Kills a pod's process as the kernel's OOM killer would (SIGKILL); its status says {@code OOMKilled}. */
    void oomKill(String pod) {
        oomKilled.add(pod);
        Process p = processes.get(pod);
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** The IP this kubelet gave a pod, or null. */
    String ipOf(String pod) {
        Pod p = pod(pod);
        return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
    }

    @Override
    protected void onPodCreated(Pod pod) {
        if (hold.test(pod)) {
            return;
        }
        String name = pod.getMetadata().getName();
        int n = nextIp.getAndIncrement();
        String ip = "127." + ipBase + "." + (n / 250) + "." + (n % 250 + 2);
        Container c = pod.getSpec().getContainers().get(0);
        Map<String, String> mounts;
        try {
            mounts = mountSecrets(pod, c);
        } catch (IOException | RuntimeException e) {
            startError(name, "cannot mount the pod's secrets: " + e);
            return;
        }
        Map<String, String> env = new LinkedHashMap<>();
        if (c.getEnv() != null) {
            for (EnvVar v : c.getEnv()) {
                String value = null;
                if (v.getValue() != null) {
                    value = expand(v.getValue(), env);
                } else if (v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null) {
                    value = switch (v.getValueFrom().getFieldRef().getFieldPath()) {
                        case "status.podIP" -> ip;
                        case "metadata.name" -> name;
                        case "metadata.namespace" -> namespace();
                        default -> null;
                    };
                }
                if (value != null) {
                    env.put(v.getName(), remount(value, mounts));
                }
            }
        }
        List<String> command = new ArrayList<>();
        for (String part : command(pod)) {
            command.add(remount(expand(part, env), mounts));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        builder.environment().putAll(env);
        // Flowport's launcher ends when its stdin closes: the processes end with this JVM, as containers with their node
        builder.environment().put("FLOWPORT_DASK_WATCH_STDIN", "1");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            startError(name, e.getMessage());
            return;
        }
        processes.put(name, process);
        started.add(name);
        try {
            running(name, c.getName(), ip);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    log(name).append(line + "\n");
                }
            } catch (IOException e) {
                // the process was stopped
            }
            int code = process.waitFor();
            if (pod(name) != null) {
                exit(name, code, oomKilled.contains(name) ? "OOMKilled" : null);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } catch (KubernetesClientException e) {
            // the pod was deleted meanwhile
        } finally {
            processes.remove(name);
        }
    }

    /** The pod runs, with its IP. */
    private void running(String pod, String container, String ip) {
        log(pod).start();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        client.pods().inNamespace(namespace()).withName(pod).editStatus(p -> {
            p.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip).addNewPodIP(ip)
                    .withHostIP("127.0.0.1")
                    .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                    .addToConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
                    .addToContainerStatuses(new ContainerStatusBuilder().withName(container).withReady(true)
                            .withNewState().withNewRunning().withStartedAt(now).endRunning().endState().build())
                    .build());
            return p;
        });
    }

    /** Writes the Secret volumes the container mounts; returns mount path → local directory. */
    private Map<String, String> mountSecrets(Pod pod, Container c) throws IOException {
        Map<String, String> mounts = new LinkedHashMap<>();
        if (pod.getSpec().getVolumes() == null || c.getVolumeMounts() == null) {
            return mounts;
        }
        for (Volume v : pod.getSpec().getVolumes()) {
            if (v.getSecret() == null) {
                continue;
            }
            VolumeMount mount = c.getVolumeMounts().stream().filter(m -> v.getName().equals(m.getName())).findFirst()
                    .orElse(null);
            if (mount == null) {
                continue;
            }
            List<String> keys = v.getSecret().getItems() == null ? List.of()
                    : v.getSecret().getItems().stream().map(KeyToPath::getKey).toList();
            // as the kubelet, wait until the Secret exists with every key the volume names
            Secret secret = await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(
                    () -> client.secrets().inNamespace(namespace()).withName(v.getSecret().getSecretName()).get(),
                    s -> s != null && s.getData() != null && s.getData().keySet().containsAll(keys));
            Path dir = root.resolve(pod.getMetadata().getName()).resolve(mount.getMountPath().replaceFirst("^/", ""));
            Files.createDirectories(dir);
            Map<String, String> files = new LinkedHashMap<>();
            if (v.getSecret().getItems() == null) {
                secret.getData().keySet().forEach(k -> files.put(k, k));
            } else {
                v.getSecret().getItems().forEach(i -> files.put(i.getKey(), i.getPath()));
            }
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path file = dir.resolve(f.getValue());
                Files.write(file, Base64.getDecoder().decode(secret.getData().get(f.getKey())));
                file.toFile().setReadable(false, false);
                file.toFile().setReadable(true, true);
            }
            mounts.put(mount.getMountPath(), dir.toString());
        }
        return mounts;
    }

    private static String remount(String value, Map<String, String> mounts) {
        String out = value;
        for (Map.Entry<String, String> m : mounts.entrySet()) {
            out = out.replace(m.getKey(), m.getValue());
        }
        return out;
    }

    /** Kubernetes' {@code $(VAR)} expansion: defined variables are replaced, {@code $$} is a {@code $}. */
    static String expand(String text, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group().equals("$$") ? "$"
                    : env.containsKey(m.group(1)) ? env.get(m.group(1)) : m.group();
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static void stop(Process p) {
        try {
            p.getOutputStream().close();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            p.destroyForcibly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every process, then the kubelet; removes the mounted files. */
    @Override
    public synchronized void close() {
        deletions.close();
        processes.values().forEach(ProcessKubelet::stop);
        super.close();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory
        }
    }
}
