package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.protocol.view.ViewReader;
import io.sharedmap.protocol.view.ViewWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ViewConfigTest {
    @TempDir
    Path tmp;

    @Test
    void file_isBesideTheSocket() {
        assertThat(ViewConfig.file(Path.of("/run/sharedmap/sharedmap.sock")))
                .isEqualTo(Path.of("/run/sharedmap/sharedmap.sock.view"));
    }

    /**
     * The same data directory served on another socket: the new daemon cannot find the old view
     * beside its own socket, but the data directory says where it was.
     */
    @Test
    void nextDaemonOnTheDataDirectory_retiresTheViewOfItsLastSocket() throws Exception {
        Path data = tmp.resolve("data");
        SharedMapServer first = SharedMapServer.start(ServerConfig.defaults(data, tmp.resolve("a.sock")));
        Path oldView = ViewConfig.file(tmp.resolve("a.sock"));
        ViewReader mapped;
        try {
            assertThat(Files.readString(data.resolve(SharedMapServer.VIEW_RECORD))
                            .strip())
                    .isEqualTo(oldView.toString());
            Files.copy(oldView, tmp.resolve("kept.view")); // what a kill -9 would leave: a LIVE view at the path
            mapped = ViewReader.open(tmp.resolve("kept.view"), generation(oldView));
        } finally {
            first.stop();
            first.awaitStopped();
        }
        Files.move(tmp.resolve("kept.view"), oldView);
        Files.writeString(data.resolve(SharedMapServer.VIEW_RECORD), oldView + "\n"); // as the killed daemon left it
        SharedMapServer second = SharedMapServer.start(ServerConfig.defaults(data, tmp.resolve("b.sock")));
        try {
            assertThat(mapped.retired()).as("the view of the daemon on a.sock").isTrue();
            assertThat(oldView).doesNotExist();
            assertThat(Files.readString(data.resolve(SharedMapServer.VIEW_RECORD))
                            .strip())
                    .isEqualTo(ViewConfig.file(tmp.resolve("b.sock")).toString());
        } finally {
            second.stop();
            second.awaitStopped();
        }
    }

    private static long generation(Path view) throws Exception {
        try (var c = java.nio.channels.FileChannel.open(view)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            c.read(b, io.sharedmap.protocol.view.ViewDescriptor.GENERATION_OFFSET);
            return b.flip().getLong();
        }
    }

    @Test
    void viewLargerThan16GiB_isRefusedNamingBothOptions() {
        assertThatThrownBy(() -> new ViewConfig(true, 1 << 26, 1 << 16).validate())
                .hasMessageContaining("--view-slots")
                .hasMessageContaining("--view-slot-size")
                .hasMessageContaining("16 GiB");
    }

    @Test
    void geometry_outOfRange_namesTheOption() {
        assertThatThrownBy(() -> new ViewConfig(true, 1000, 256).validate()).hasMessageStartingWith("--view-slots");
        assertThatThrownBy(() -> new ViewConfig(true, 1024, 100).validate()).hasMessageStartingWith("--view-slot-size");
    }

    /**
     * A daemon killed with -9 leaves its view LIVE beside the socket. The next daemon on that socket
     * retires it before it serves, whatever its data directory and even without a view of its own
     * (--no-view, or never mode): clients still mapping it must come back to the socket.
     */
    @ParameterizedTest
    @ValueSource(strings = {"view", "no view", "never mode"})
    void nextDaemonOnTheSocket_retiresTheViewLeftBehind(String next) throws Exception {
        Path socket = tmp.resolve("s.sock");
        ViewReader left;
        try (ViewWriter dead = ViewWriter.create(
                ViewConfig.file(socket), 1024, 256, 77, PosixFilePermissions.fromString("rw-r-----"))) {
            dead.put("k".getBytes(), "from the dead daemon".getBytes(), 1);
            left = ViewReader.open(ViewConfig.file(socket), 77);
        }
        ServerConfig config = ServerConfig.defaults(tmp.resolve("other-data"), socket);
        SharedMapServer server = SharedMapServer.start(
                next.equals("never mode") ? config.withDurability(Durability.NEVER) : config,
                SecurityConfig.DEFAULTS,
                next.equals("no view") ? ViewConfig.DISABLED : ViewConfig.DEFAULTS);
        try {
            assertThat(left.retired()).isTrue();
            assertThat(left.lookup("k".getBytes())).isNull();
            assertThat(Files.exists(ViewConfig.file(socket)))
                    .as("a view of its own")
                    .isEqualTo(next.equals("view"));
        } finally {
            server.stop();
            server.awaitStopped();
        }
        assertThat(ViewConfig.file(socket))
                .as("a graceful stop deletes the view")
                .doesNotExist();
    }
}
