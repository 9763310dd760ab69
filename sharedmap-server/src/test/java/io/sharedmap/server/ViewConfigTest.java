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
  @TempDir Path tmp;

  @Test
  void file_isBesideTheSocket() {
    assertThat(ViewConfig.file(Path.of("/run/sharedmap/sharedmap.sock")))
        .isEqualTo(Path.of("/run/sharedmap/sharedmap.sock.view"));
  }

  @Test
  void geometry_outOfRange_namesTheOption() {
    assertThatThrownBy(() -> new ViewConfig(true, 1000, 256).validate()).hasMessageStartingWith("--view-slots");
    assertThatThrownBy(() -> new ViewConfig(true, 1024, 100).validate())
        .hasMessageStartingWith("--view-slot-size");
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
    try (ViewWriter dead = ViewWriter.create(ViewConfig.file(socket), 1024, 256, 77,
        PosixFilePermissions.fromString("rw-r-----"))) {
      dead.put("k".getBytes(), "from the dead daemon".getBytes(), 1);
      left = ViewReader.open(ViewConfig.file(socket), 77);
    }
    ServerConfig config = ServerConfig.defaults(tmp.resolve("other-data"), socket);
    SharedMapServer server = SharedMapServer.start(next.equals("never mode") ? config.withDurability(Durability.NEVER)
        : config, SecurityConfig.DEFAULTS, next.equals("no view") ? ViewConfig.DISABLED : ViewConfig.DEFAULTS);
    try {
      assertThat(left.retired()).isTrue();
      assertThat(left.lookup("k".getBytes())).isNull();
      assertThat(Files.exists(ViewConfig.file(socket))).as("a view of its own").isEqualTo(next.equals("view"));
    } finally {
      server.stop();
      server.awaitStopped();
    }
    assertThat(ViewConfig.file(socket)).as("a graceful stop deletes the view").doesNotExist();
  }
}
