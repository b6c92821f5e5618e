package io.flowport.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A durable queue of flow runs, shared by the processes that submit runs and the agents that run them (the
 * agent–environment model's "flow runs that are ready"). Implementations: {@link EmbeddedRunQueue} (a SQLite file;
 * one machine, no server) and {@link PostgresRunQueue} (agents on many machines); open either from a URL with
 * {@link RunQueues#open(String)}.
 *
 * <p>Guarantees every implementation gives:
 * <ul>
 *   <li>a submission is atomic and durable: when {@link #submit} returns, the run survives a crash (also
 *       {@code kill -9}) of any process; a submitter that dies during {@link #submit} leaves nothing or the whole
 *       run, never part of it;</li>
 *   <li>a claim is exclusive: a run is held by at most one agent at a time, and an agent only gets runs whose
 *       labels are all among its own, highest priority first, then oldest, never before their {@code notBefore};</li>
 *   <li>a held run carries a lease; a run whose lease expired can be claimed again (a <em>takeover</em>), and every
 *       claim increments {@link QueuedRun#claims()}, which fences the previous holder: its writes are refused;</li>
 *   <li>a final state is final: nothing changes a finished run.</li>
 * </ul>
 * Thread-safe. Methods block on the store and throw {@link QueueException} when it fails.
 */
public interface RunQueue extends AutoCloseable {

    /**
     * Stores one run; when this returns, it is durable. Blocking.
     *
     * @return the run's id
     * @throws QueueException if the store refuses it (e.g. the id exists) or is unreachable
     */
    default String submit(RunRequest request) {
        return submitAll(List.of(request)).get(0);
    }

    /**
     * Stores several runs in one transaction: all of them, or none. Blocking.
     *
     * @return their ids, in order
     */
    List<String> submitAll(List<RunRequest> requests);

    /** One run with its state history. */
    Optional<QueuedRun> get(String id);

    /** Runs in these states (all states when empty), newest first, at most {@code limit}; without history. */
    List<QueuedRun> list(Set<RunState> states, int limit);

    /** How many runs are in each state (states with none are left out). */
    Map<RunState, Long> counts();

    /**
     * Asks to cancel a run: a queued run is cancelled at once and never runs; a held run is marked, and its agent
     * stops its infrastructure at its next heartbeat and records {@code Cancelled}; a finished run is left alone.
     */
    CancelOutcome cancel(String id, String reason);

    // ------------------------------------------------------------------ the agent's side

    /**
     * Registers an agent (or its restart under the same id) and releases the runs its earlier life still held, so
     * that they are taken over at once instead of after their leases expire.
     *
     * @return how many runs were released
     */
    int registerAgent(String agentId, Set<String> labels, String host);

    /**
     * Claims up to {@code max} runs for an agent: first runs whose lease expired (takeovers), then queued runs
     * that are due — in both cases only runs whose labels are all in {@code labels}, highest priority first, then
     * oldest. Each claimed run is leased for {@code lease} and its claim count incremented. Exclusive: no two
     * agents ever get the same claim.
     */
    List<Claim> claim(String agentId, Set<String> labels, int max, Duration lease);

    /**
     * Renews the leases of every run the agent holds (one statement, however many) and reports what it holds,
     * the cancellation requests among those runs, and how many runs wait in the queue.
     */
    Heartbeat heartbeat(String agentId, Duration lease);

    /**
     * Records state transitions of held runs, in order, in one transaction. A transition is applied only while
     * its agent still holds the run with the same claim count (else the run was taken over; the transition is
     * refused) and the run is not finished.
     *
     * @return the ids of runs whose transitions were refused
     */
    Set<String> record(List<Transition> transitions);

    /**
     * Releases every run an agent holds: their leases expire at once, so that another agent (or this one after a
     * restart) takes them over and reattaches to their infrastructure. Their state is kept.
     *
     * @return how many runs were released
     */
    int release(String agentId, String reason);

    /** Marks an agent as stopped (for people looking at the queue). */
    void agentStopped(String agentId);

    /** The agents that registered, most recent heartbeat first. */
    List<AgentRecord> agents();

    /** The queue's location for people and logs, without credentials. */
    String describe();

    /** Releases connections. */
    @Override
    void close();

    /**
     * One run claimed by an agent.
     *
     * @param run           the run as stored after the claim (held by the claiming agent)
     * @param previousAgent for a takeover, the agent that held it before; {@code null} for a first claim
     */
    record Claim(QueuedRun run, String previousAgent) {
        /** Validates the claim. */
        public Claim {
            Objects.requireNonNull(run, "run");
        }

        /** Whether another agent (or an earlier life of this one) held the run before: it may have been launched. */
        public boolean isTakeover() {
            return run.claims() > 1;
        }
    }

    /**
     * What a heartbeat found.
     *
     * @param held           the runs the agent holds: id to claim count
     * @param cancelRequests the held runs someone asked to cancel: id to reason
     * @param queued         how many runs wait in the queue (all labels)
     */
    record Heartbeat(Map<String, Integer> held, Map<String, String> cancelRequests, long queued) {
        /** Copies the maps. */
        public Heartbeat {
            held = Map.copyOf(held);
            cancelRequests = Map.copyOf(cancelRequests);
        }
    }

    /**
     * A state transition of a held run, fenced by the claim count.
     *
     * @param runId        the run
     * @param agentId      the agent that holds it
     * @param claims       the claim count the agent got with it
     * @param state        the state entered
     * @param at           when it happened
     * @param message      what happened (may be empty)
     * @param unitId       for {@link RunState#LAUNCHED}, the unit of infrastructure; else {@code null}
     * @param logsLocation for a final state, where the logs are; else {@code null}
     */
    record Transition(String runId, String agentId, int claims, RunState state, Instant at, String message,
                      String unitId, String logsLocation) {
        /** Validates the transition. */
        public Transition {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(agentId, "agentId");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(at, "at");
            if (state == RunState.QUEUED) {
                throw new IllegalArgumentException("an agent cannot put run " + runId + " back to QUEUED");
            }
            message = message == null ? "" : message;
        }
    }

    /**
     * What {@link #cancel} did.
     *
     * @param found        whether the run exists
     * @param stateBefore  its state when asked (null if not found)
     * @param cancelledNow whether it was cancelled at once (it was queued)
     * @param agentId      the agent that will stop it, for a held run
     */
    record CancelOutcome(boolean found, RunState stateBefore, boolean cancelledNow, String agentId) {
    }

    /**
     * An agent as the queue knows it.
     *
     * @param id          its id
     * @param labels      its labels
     * @param host        where it runs
     * @param startedAt   when it (last) registered
     * @param heartbeatAt its last heartbeat
     * @param stoppedAt   when it stopped, or {@code null}
     */
    record AgentRecord(String id, Set<String> labels, String host, Instant startedAt, Instant heartbeatAt,
                       Instant stoppedAt) {
    }
}
