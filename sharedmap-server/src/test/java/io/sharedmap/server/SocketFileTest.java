package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The socket file is published with its final mode (bound under a temporary name, then linked),
 * and never replaces a socket published meanwhile.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketFileTest {
  private Path root;
  private Path socket;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createTempDirectory(Path.of("/tmp"), "smf");
    socket = root.resolve("s.sock");
  }

  @AfterEach
  void tearDown() throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void bind_temporaryNameHasFinalModeBeforeTheSocketAppears_thenServesUnderTheFinalName() throws Exception {
    AtomicReference<Path> seen = new AtomicReference<>();
    try (ServerSocketChannel listener = SocketFile.bind(socket, SecurityConfig.DEFAULTS.withSocketMode(0606), tmp -> {
      try {
        seen.set(tmp);
        assertThat(socket).as("the final name before publishing").doesNotExist();
        assertThat(tmp.getParent()).isEqualTo(root);
        assertThat(tmp.getFileName().toString()).matches("\\.sm" + ProcessHandle.current().pid() + "-[0-9a-z]{8,13}");
        assertThat(mode(tmp)).as("the temporary socket, already").isEqualTo("rw----rw-");
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    })) {
      assertThat(seen.get()).as("the hook ran").isNotNull().doesNotExist();
      assertThat(names()).containsExactly("s.sock");
      assertThat(mode(socket)).isEqualTo("rw----rw-");
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
          SocketChannel accepted = listener.accept()) {
        assertThat(accepted.isConnected()).as("a bound socket keeps serving after link and unlink").isTrue();
        assertThat(client.isConnected()).isTrue();
      }
    }
  }

  @Test
  void bind_anotherDaemonPublishesMeanwhile_refusedAndItsSocketKept() throws Exception {
    ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try (other) {
      assertThatThrownBy(() -> SocketFile.bind(socket, SecurityConfig.DEFAULTS, tmp -> {
        try {
          other.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      })).isInstanceOf(ServerStartException.class).hasMessageContaining("served by a running daemon");
      assertThat(names()).as("no temporary name left").containsExactly("s.sock");
      try (SocketChannel _ = SocketChannel.open(UnixDomainSocketAddress.of(socket));
          SocketChannel accepted = other.accept()) {
        assertThat(accepted.isConnected()).as("the other daemon's socket still serves").isTrue();
      }
    }
  }

  @Test
  void prepare_temporarySocketOfADeadDaemon_removed_oneBeingPublishedKept() throws Exception {
    Path dead = root.resolve(".sm99999999-deadbeef1");
    try (ServerSocketChannel c = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.bind(UnixDomainSocketAddress.of(dead)); // nobody accepts once closed: a crash between bind and link
    }
    Path notOurs = root.resolve(".sm12-notasocket");
    Files.writeString(notOurs, "x");
    try (ServerSocketChannel starting = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      starting.bind(UnixDomainSocketAddress.of(root.resolve(".sm1-starting1")));

      SocketFile.prepare(socket);

      assertThat(names()).as("the dead one removed; a listening one and a regular file kept")
          .containsExactly(".sm1-starting1", ".sm12-notasocket");
    }
  }

  @Test
  void prepare_createsTheSocketDirectoryReadableNotWritableByOthers() throws Exception {
    Path nested = root.resolve("run/sub/s.sock");

    SocketFile.prepare(nested);

    assertThat(mode(root.resolve("run"))).isEqualTo("rwxr-xr-x");
    assertThat(mode(root.resolve("run/sub"))).isEqualTo("rwxr-xr-x");
  }
}
