package io.flowport.env.aci;

import com.azure.resourcemanager.containerinstance.fluent.models.ContainerGroupInner;
import com.azure.resourcemanager.containerinstance.models.Container;
import com.azure.resourcemanager.containerinstance.models.ContainerPropertiesInstanceView;
import com.azure.resourcemanager.containerinstance.models.ContainerState;
import com.azure.resourcemanager.containerinstance.models.Event;
import io.flowport.core.State;
import io.flowport.core.spi.RunStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Maps a container group (its provisioning state, the group's and the flow container's instance views and
 * events) to a {@link RunStatus}. The table is in the module README. Reads of one group carry instance views;
 * lists of a resource group do not (ARM leaves them out), so a listed group maps to what its provisioning state
 * alone says, and {@link #isPrecise} tells the caller whether a read of the group is needed.
 */
final class GroupStates {

    /** ACI's container detail status for a container killed for using more memory than requested. */
    static final String OOM_KILLED = "OOMKilled";

    private GroupStates() {
    }

    /** Whether {@code g} carries instance views (a read of one group does; a list does not). */
    static boolean isPrecise(ContainerGroupInner g, String containerName) {
        if (g.instanceView() != null && g.instanceView().state() != null) {
            return true;
        }
        ContainerPropertiesInstanceView v = view(g, containerName);
        return v != null && v.currentState() != null && v.currentState().state() != null;
    }

    /** The status of a group read with its instance views (falls back to {@link #fromProvisioning}). */
    static RunStatus of(ContainerGroupInner g, String containerName) {
        String provisioning = nullToEmpty(g.provisioningState());
        String groupState = g.instanceView() == null ? "" : nullToEmpty(g.instanceView().state());
        ContainerPropertiesInstanceView view = view(g, containerName);
        ContainerState current = view == null ? null : view.currentState();
        String containerState = current == null ? "" : nullToEmpty(current.state());
        String detail = detail(provisioning, groupState, current, view);

        if ("Stopped".equalsIgnoreCase(groupState)) {
            return RunStatus.finished(State.cancelled("container group " + g.name() + " was stopped"), detail);
        }
        if ("Terminated".equalsIgnoreCase(containerState)) {
            return RunStatus.finished(terminated(g.name(), containerName, current, view), detail);
        }
        if (isFailedProvisioning(provisioning)) {
            return RunStatus.finished(State.crashed("container group " + g.name() + " failed to start ("
                    + "provisioning " + provisioning + ")" + warnings(g, view), null), detail);
        }
        if ("Deleting".equalsIgnoreCase(provisioning)) {
            return RunStatus.of(RunStatus.Phase.STOPPING, detail);
        }
        if ("Running".equalsIgnoreCase(containerState)) {
            return RunStatus.of(RunStatus.Phase.RUNNING, detail);
        }
        if ("Waiting".equalsIgnoreCase(containerState)) {
            return RunStatus.of(RunStatus.Phase.PENDING, detail + warnings(g, view));
        }
        return fromProvisioning(g.name(), provisioning, detail);
    }

    /** What the provisioning state alone says (a listed group). */
    static RunStatus fromProvisioning(String name, String provisioning, String detail) {
        String p = nullToEmpty(provisioning);
        if (isFailedProvisioning(p)) {
            return RunStatus.finished(State.crashed("container group " + name + " failed to start (provisioning "
                    + p + ")", null), detail);
        }
        return switch (p.toLowerCase(Locale.ROOT)) {
            case "", "accepted", "pending" -> RunStatus.of(RunStatus.Phase.PROVISIONING, detail);
            case "creating", "updating", "repairing" -> RunStatus.of(RunStatus.Phase.PENDING, detail);
            case "deleting" -> RunStatus.of(RunStatus.Phase.STOPPING, detail);
            // provisioning succeeds once the containers were started; a read tells whether they still run
            default -> RunStatus.of(RunStatus.Phase.RUNNING, detail);
        };
    }

    static boolean isFailedProvisioning(String provisioning) {
        return "Failed".equalsIgnoreCase(provisioning) || "Canceled".equalsIgnoreCase(provisioning);
    }

    /** When the flow's container finished, or null. */
    static Instant finishedAt(ContainerGroupInner g, String containerName) {
        ContainerPropertiesInstanceView v = view(g, containerName);
        if (v == null || v.currentState() == null || v.currentState().finishTime() == null) {
            return null;
        }
        return v.currentState().finishTime().toInstant();
    }

    private static State terminated(String group, String containerName, ContainerState s,
                                    ContainerPropertiesInstanceView view) {
        String name = "container " + containerName + " of group " + group;
        String detail = nullToEmpty(s.detailStatus());
        Integer exit = s.exitCode();
        if (exit == null) {
            return State.crashed(name + " terminated without an exit code" + (detail.isEmpty() ? "" : " (" + detail
                    + ")") + warnings(null, view), null);
        }
        if (exit == 0) {
            return State.success(name + " exited with code 0");
        }
        String why = OOM_KILLED.equalsIgnoreCase(detail)
                ? " (" + detail + ": the container used more memory than requested; raise memoryInGb)"
                : detail.isEmpty() ? "" : " (" + detail + ")";
        return State.failed(name + " exited with code " + exit + why, null);
    }

    /** The group's and the container's warning events, newest last, as "; events: …". */
    private static String warnings(ContainerGroupInner g, ContainerPropertiesInstanceView view) {
        List<String> out = new ArrayList<>();
        if (g != null && g.instanceView() != null && g.instanceView().events() != null) {
            g.instanceView().events().forEach(e -> add(e, out));
        }
        if (view != null && view.events() != null) {
            view.events().forEach(e -> add(e, out));
        }
        if (out.isEmpty()) {
            return "";
        }
        List<String> last = out.subList(Math.max(0, out.size() - 3), out.size());
        return "; events: " + String.join("; ", last);
    }

    private static void add(Event e, List<String> out) {
        if (e != null && "Warning".equalsIgnoreCase(e.type()) && e.message() != null) {
            String text = (e.name() == null ? "" : e.name() + ": ") + e.message();
            if (!out.contains(text)) {
                out.add(text);
            }
        }
    }

    private static String detail(String provisioning, String groupState, ContainerState current,
                                 ContainerPropertiesInstanceView view) {
        StringBuilder b = new StringBuilder("provisioning ").append(provisioning.isEmpty() ? "?" : provisioning);
        if (!groupState.isEmpty()) {
            b.append(", group ").append(groupState);
        }
        if (current != null && current.state() != null) {
            b.append(", container ").append(current.state());
            if (current.detailStatus() != null && !current.detailStatus().isEmpty()) {
                b.append(" (").append(current.detailStatus()).append(')');
            }
        }
        if (view != null && view.restartCount() != null && view.restartCount() > 0) {
            b.append(", restarts ").append(view.restartCount());
        }
        return b.toString();
    }

    static ContainerPropertiesInstanceView view(ContainerGroupInner g, String containerName) {
        if (g.containers() == null) {
            return null;
        }
        Container match = null;
        for (Container c : g.containers()) {
            if (containerName.equals(c.name())) {
                match = c;
            }
        }
        if (match == null && !g.containers().isEmpty()) {
            match = g.containers().get(0);
        }
        return match == null ? null : match.instanceView();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
