package io.flowport.storage.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An unreachable target registry gives an error naming it and the fix. Needs no registry binary. */
class ImageStorageUnreachableIT {

    @TempDir
    Path tmp;

    @Test
    void anUnreachableRegistryIsNamedWithTheFix() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path classes = Files.createDirectories(tmp.resolve("classes/com/acme"));
        Files.writeString(classes.resolve("A.class"), "not really a class");
        ImageStorage storage = ImageStorage.builder().fromEnvironment(Map.of())
                .registry("127.0.0.1:" + port).repository("team/flows").baseImage(ImageStorage.SCRATCH)
                .classpath(List.of(tmp.resolve("classes"))).cacheDirectory(tmp.resolve("cache"))
                .dockerConfig(tmp.resolve("none.json")).build();

        assertThatThrownBy(storage::build)
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageStartingWith("image storage 127.0.0.1:" + port + "/team/flows:")
                .hasMessageContaining("registry 127.0.0.1:" + port + " is unreachable (connection failed:")
                .hasMessageContaining("check that the registry runs and listens at 127.0.0.1:" + port)
                .hasMessageContaining("registry setting (FLOWPORT_IMAGE_REGISTRY)")
                .satisfies(e -> assertThat(((RegistryUnavailableException) e).registry())
                        .isEqualTo("127.0.0.1:" + port));
    }
}
