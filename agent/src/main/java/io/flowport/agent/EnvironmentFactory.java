package io.flowport.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.Environment;
import io.flowport.core.Serialization;

/**
 * Builds the environment object an agent deploys runs with, from the resolved document ({@link JobSpecs}). The
 * default reads the document with {@link Serialization#environmentFromJson}. Supply your own to set what documents
 * never carry: an explicit credentials provider, lifecycle settings, callbacks.
 *
 * <p>Equal documents share one environment object (and so one status poller per platform): the factory is called
 * once per distinct document, not per run, and the object is closed when no run has used it for a while.
 */
@FunctionalInterface
public interface EnvironmentFactory {

    /** Reads the document with {@link Serialization#environmentFromJson}. */
    EnvironmentFactory DEFAULT = spec -> Serialization.environmentFromJson(spec.toString());

    /**
     * The environment for a document.
     *
     * @throws io.flowport.core.ConfigurationException if the document is not a valid environment
     */
    Environment create(ObjectNode spec);
}
