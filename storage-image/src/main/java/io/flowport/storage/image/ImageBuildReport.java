package io.flowport.storage.image;

import java.time.Duration;
import java.util.List;

/**
 * What one {@link ImageStorage#build()} did: the image it pushed, its layers, and how much was uploaded (blobs
 * the registry already had are not uploaded again, so a code change re-uploads only the layers that changed).
 * Not serialized.
 *
 * @param image         the pushed image, by digest ({@code registry/repository@sha256:...})
 * @param tag           the tag it was pushed with
 * @param layers        the application layers, bottom to top (the base image's layers are not listed)
 * @param blobsUploaded blobs (layers and the image configuration) actually uploaded
 * @param bytesUploaded their total size in bytes
 * @param blobsSkipped  blobs the registry already had
 * @param duration      time spent building and pushing
 */
public record ImageBuildReport(String image, String tag, List<Layer> layers, int blobsUploaded, long bytesUploaded,
                               int blobsSkipped, Duration duration) {

    /** Copies the list. */
    public ImageBuildReport {
        layers = List.copyOf(layers);
    }

    /**
     * One application layer.
     *
     * @param name  Jib's name for it ({@code dependencies}, {@code snapshot dependencies},
     *              {@code project dependencies}, {@code resources}, {@code classes}, {@code extra files})
     * @param files the number of files in it
     * @param bytes the uncompressed size of those files
     */
    public record Layer(String name, int files, long bytes) {
    }
}
