package io.flowport.storage.image;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A local file or directory to put into the image at an absolute path (a directory's content goes under
 * {@code target}). Extra files form the top layer. Checked by {@link ImageStorage#validate()}: the source must
 * exist and the target must be absolute.
 *
 * @param source the local file or directory
 * @param target the absolute path in the image, e.g. {@code /app/config/app.properties}
 */
public record ExtraFile(@JsonProperty("source") Path source, @JsonProperty("target") String target) {

    /** Creates an extra file; both parts are required. */
    @JsonCreator
    public ExtraFile {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
    }
}
