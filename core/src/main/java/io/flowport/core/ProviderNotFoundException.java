package io.flowport.core;

/**
 * A serialized environment, storage or backend names a {@code type} that no module on the classpath
 * provides. The message lists the known types and names the artifact to add.
 */
public class ProviderNotFoundException extends ConfigurationException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with its full message. */
    public ProviderNotFoundException(String message) {
        super(message);
    }
}
