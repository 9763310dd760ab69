package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sharedmap.server.testing.TestDaemon;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * never replaces a socket published meanwhile, and the per-user default directory is refused when
 * someone else could have made it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketFileTest {
    /** A uid no account here uses: the "other user" who made a directory first. */
    private static final int STRANGER = 4_242_424;

    private Path root;
    private Path socket;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "smf");
        socket = root.resolve("s.sock");
    }

    @AfterEach
    void tearDown() throws IOException {
        TestDaemon.deleteTree(root);
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
        try (ServerSocketChannel listener =
                SocketFile.bind(socket, SecurityConfig.DEFAULTS.withSocketMode(0606), tmp -> {
                    try {
                        seen.set(tmp);
                        assertThat(socket)
                                .as("the final name before publishing")
                                .doesNotExist();
                        assertThat(tmp.getParent().getParent()).isEqualTo(root);
                        assertThat(tmp.getParent().getFileName().toString())
                                .matches("\\.sm" + ProcessHandle.current().pid() + "-[0-9a-z]{8,13}");
                        assertThat(mode(tmp.getParent()))
                                .as("nobody else may reach the temporary socket")
                                .isEqualTo("rwx------");
                        assertThat(mode(tmp))
                                .as("the temporary socket, already")
                                .isEqualTo("rw----rw-");
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                })) {
            assertThat(seen.get()).as("the hook ran").isNotNull().doesNotExist();
            assertThat(seen.get().getParent()).doesNotExist();
            assertThat(names()).containsExactly("s.sock");
            assertThat(mode(socket)).isEqualTo("rw----rw-");
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                    SocketChannel accepted = listener.accept()) {
                assertThat(accepted.isConnected())
                        .as("a bound socket keeps serving after link and unlink")
                        .isTrue();
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
                    }))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining("served by a running daemon");
            assertThat(names()).as("no temporary name left").containsExactly("s.sock");
            try (SocketChannel _ = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                    SocketChannel accepted = other.accept()) {
                assertThat(accepted.isConnected())
                        .as("the other daemon's socket still serves")
                        .isTrue();
            }
        }
    }

    @Test
    void prepare_temporarySocketOfADeadDaemon_removed_oneBeingPublishedKept() throws Exception {
        Path dead = Files.createDirectory(root.resolve(".sm99999999-deadbeef1"));
        try (ServerSocketChannel c = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.bind(UnixDomainSocketAddress.of(
                    dead.resolve("s"))); // nobody accepts once closed: a crash between bind and link
        }
        Path notOurs = root.resolve(".sm12-notasocket");
        Files.writeString(notOurs, "x");
        try (ServerSocketChannel starting = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            starting.bind(UnixDomainSocketAddress.of(
                    Files.createDirectory(root.resolve(".sm1-starting1")).resolve("s")));

            SocketFile.prepare(socket);

            assertThat(names())
                    .as("the dead one removed; a listening one and a regular file kept")
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

    @Test
    void perUserDirectory_missing_createdPrivate() throws Exception {
        Path dir = root.resolve("sharedmap-1000");

        SocketFile.preparePerUserDirectory(dir, SocketFile.processUid());

        assertThat(mode(dir)).isEqualTo("rwx------");
    }

    @Test
    void perUserDirectory_ownAndNotWritableByOthers_accepted() throws Exception {
        Path dir = Files.createDirectory(root.resolve("sharedmap-1000"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // made by an older version

        SocketFile.preparePerUserDirectory(dir, SocketFile.processUid());

        assertThat(mode(dir)).as("left as it is").isEqualTo("rwxr-xr-x");
    }

    @Test
    void perUserDirectory_ownButWritableByOthers_refused() throws Exception {
        Path dir = Files.createDirectory(root.resolve("sharedmap-1000"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> SocketFile.preparePerUserDirectory(dir, SocketFile.processUid()))
                .isInstanceOf(ServerStartException.class)
                .hasMessageContaining("default socket directory " + dir)
                .hasMessageContaining("rwxrwxrwx");
    }

    @Test
    void perUserDirectory_ofAnotherUser_refusedNamingOwnerAndMode() throws Exception {
        assumeTrue(SocketFile.processUid() == 0, "giving a directory to another uid needs root");
        Path dir = Files.createDirectory(root.resolve("sharedmap-1000"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.setAttribute(dir, "unix:uid", STRANGER);

        assertThatThrownBy(() -> SocketFile.preparePerUserDirectory(dir, 0))
                .isInstanceOf(ServerStartException.class)
                .hasMessageContaining("default socket directory " + dir)
                .hasMessageContaining("(uid " + STRANGER + "), mode rwx------")
                .hasMessageContaining("XDG_RUNTIME_DIR");
    }

    @Test
    void perUserDirectory_symbolicLink_refused() throws Exception {
        Path target = Files.createDirectory(root.resolve("elsewhere"));
        Path dir = Files.createSymbolicLink(root.resolve("sharedmap-1000"), target);

        assertThatThrownBy(() -> SocketFile.preparePerUserDirectory(dir, SocketFile.processUid()))
                .isInstanceOf(ServerStartException.class)
                .hasMessageContaining("a symbolic link");
    }
}
