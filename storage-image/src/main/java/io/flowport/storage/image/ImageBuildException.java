package io.flowport.storage.image;

import io.flowport.core.FlowportException;

/**
 * Building or pushing an image failed after validation passed: the registry refused the credentials, the base
 * image does not exist, a layer could not be read. The message names the registry or image and the fix; the
 * cause is kept.
 */
public class ImageBuildException extends FlowportException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message and its cause. */
    public ImageBuildException(String message, Throwable cause) {
        super(message, cause);
    }
}
