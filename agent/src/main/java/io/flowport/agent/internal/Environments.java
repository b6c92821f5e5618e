package io.flowport.agent.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.agent.EnvironmentFactory;
import io.flowport.core.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The environment objects of an agent, one per distinct environment document: runs of equal environments share one
 * object, so a platform's runs share one lifecycle and one status poller. An object no run has used for a while is
 * closed and forgotten. Not public API.
 */
public final class Environments {

    private static final Logger LOG = LoggerFactory.getLogger(Environments.class);

    private final EnvironmentFactory factory;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** Environments made by {@code factory}. */
    public Environments(EnvironmentFactory factory) {
        this.factory = factory;
    }

    /**
     * The environment for {@code spec}, created on first use, counted as in use until {@link #release}d.
     *
     * @throws io.flowport.core.ConfigurationException if the document is not a valid environment
     */
    public Entry acquire(ObjectNode spec) {
        return acquire(spec, spec.toString());
    }

    /** As {@link #acquire(ObjectNode)}, with the document's text already known. */
    public Entry acquire(ObjectNode spec, String key) {
        return entries.compute(key, (k, e) -> {
            Entry entry = e != null ? e : new Entry(k, factory.create(spec));
            entry.users++;
            entry.lastUsed = System.nanoTime();
            return entry;
        });
    }

    /** A run no longer uses {@code entry}. */
    public void release(Entry entry) {
        entries.computeIfPresent(entry.key, (k, e) -> {
            e.users--;
            e.lastUsed = System.nanoTime();
            return e;
        });
    }

    /** Every environment held now. */
    public List<Environment> all() {
        List<Environment> out = new ArrayList<>();
        entries.values().forEach(e -> out.add(e.environment));
        return out;
    }

    /** How many environment objects are held. */
    public int size() {
        return entries.size();
    }

    /** Closes and forgets environments unused for {@code idleNanos}. */
    public void evictIdle(long idleNanos) {
        long now = System.nanoTime();
        for (String key : List.copyOf(entries.keySet())) {
            Entry[] evicted = new Entry[1];
            entries.computeIfPresent(key, (k, e) -> {
                if (e.users <= 0 && !e.pinned && now - e.lastUsed > idleNanos) {
                    evicted[0] = e;
                    return null;
                }
                return e;
            });
            if (evicted[0] != null) {
                closeQuietly(evicted[0].environment);
            }
        }
    }

    /** Keeps the environment of {@code spec} (e.g. the agent's default, for its TTL controller) until closed. */
    public Environment pin(ObjectNode spec) {
        Entry e = acquire(spec);
        e.pinned = true;
        release(e);
        return e.environment;
    }

    /** Closes every environment. */
    public void closeAll() {
        for (String key : List.copyOf(entries.keySet())) {
            Entry e = entries.remove(key);
            if (e != null) {
                closeQuietly(e.environment);
            }
        }
    }

    private static void closeQuietly(Environment env) {
        if (env instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ex) {
                LOG.warn("closing environment {} failed: {}", env, ex.toString());
            }
        }
    }

    /** One environment object and how many runs use it. */
    public static final class Entry {
        final String key;
        final Environment environment;
        int users; // guarded by the map's compute
        volatile long lastUsed;
        volatile boolean pinned;

        Entry(String key, Environment environment) {
            this.key = key;
            this.environment = environment;
        }

        /** The environment. */
        public Environment environment() {
            return environment;
        }
    }
}
