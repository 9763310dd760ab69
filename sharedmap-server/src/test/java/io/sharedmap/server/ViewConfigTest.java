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

class ViewConfigTest {
  @TempDir Path tmp;

  @Test
  void file_isNamedAfterTheSocket() {
    Path socket = Path.of("/run/sharedmap/sharedmap.sock");
    assertThat(ViewConfig.DEFAULTS.file(socket)).isEqualTo(Path.of("/run/sharedmap/sharedmap.sock.view"));
    ViewConfig shm = new ViewConfig(true, Path.of("/dev/shm"), 1024, 256);
    assertThat(shm.file(socket)).isEqualTo(shm.file(Path.of("/run/sharedmap/sharedmap.sock")));
    assertThat(shm.file(socket)).isNotEqualTo(shm.file(Path.of("/run/other.sock")));
    assertThat(shm.file(socket).getParent()).isEqualTo(Path.of("/dev/shm"));
  }

  @Test
  void geometry_outOfRange_namesTheOption() {
    assertThatThrownBy(() -> new ViewConfig(true, null, 1000, 256).validate()).hasMessageStartingWith("--view-slots");
    assertThatThrownBy(() -> new ViewConfig(true, null, 1024, 100).validate())
        .hasMessageStartingWith("--view-slot-size");
  }

  /**
   * A daemon killed with -9 leaves its view LIVE. The next daemon on the same socket retires it
   * before it serves, even with another data directory: the view is named after the socket.
   */
  @Test
  void nextDaemonOnTheSocket_retiresTheViewLeftBehind_whateverItsDataDirectory() throws Exception {
    Path socket = tmp.resolve("s.sock");
    ViewConfig inDir = new ViewConfig(true, tmp.resolve("views"), 1024, 256);
    Files.createDirectories(inDir.dir());
    ViewReader left;
    try (ViewWriter dead = ViewWriter.create(inDir.file(socket), 1024, 256, 77,
        PosixFilePermissions.fromString("rw-r-----"))) {
      dead.put("k".getBytes(), "from the dead daemon".getBytes(), 1);
      left = ViewReader.open(inDir.file(socket), 77);
    }
    SharedMapServer server = SharedMapServer.start(ServerConfig.defaults(tmp.resolve("other-data"), socket),
        SecurityConfig.DEFAULTS, inDir);
    try {
      assertThat(left.retired()).isTrue();
      assertThat(left.lookup("k".getBytes())).isNull();
    } finally {
      server.stop();
      server.awaitStopped();
    }
    assertThat(inDir.file(socket)).as("a graceful stop deletes the view").doesNotExist();
  }
}
