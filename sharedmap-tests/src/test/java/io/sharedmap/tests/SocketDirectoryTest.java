package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.JavaCommand;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.UnixUsers;
import io.sharedmap.tests.support.UnixUsers.User;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The per-user default socket directory {@code /tmp/sharedmap-<uid>} (no {@code XDG_RUNTIME_DIR},
 * no {@code SHAREDMAP_SOCKET}), with real users: the owner's daemon and CLI run as the owner
 * ({@code setpriv}) and find the socket by themselves. When the squatter makes that directory
 * first, the owner's daemon refuses to start there and the owner's client refuses to talk to the
 * fake daemon listening in it; once the directory is the owner's own, both work. Needs root;
 * skipped, saying why, without it.
 */
class SocketDirectoryTest {
    private static final String GROUP = "smtest_sockdir";
    private static final List<String> USERS = List.of("smtest_sdowner", "smtest_sdsquat");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private static FileLock usersLock;
    private static Path classPathCopy;
    private static String publicClassPath;
    private static User owner;
    private static User squatter;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private Path ownerData;
    private Path defaultDir;

    @BeforeAll
    static void createUsers() throws IOException {
        String why = UnixUsers.unavailableReason();
        assumeTrue(why == null, () -> "SocketDirectoryTest skipped: " + why);
        usersLock = UnixUsers.lock("sharedmap-socketdirectorytest");
        UnixUsers.ensureGroup(GROUP);
        owner = UnixUsers.ensureUser(USERS.get(0), GROUP);
        squatter = UnixUsers.ensureUser(USERS.get(1), GROUP);
        classPathCopy = Files.createTempDirectory(Path.of("/tmp"), "smt-cp-");
        publicClassPath = UnixUsers.publicClassPath(classPathCopy);
    }

    @AfterAll
    static void removeUsers() throws IOException {
        if (usersLock == null) {
            return; // skipped: nothing was created
        }
        List<String> problems = new ArrayList<>();
        try {
            for (String u : USERS) {
                String p = UnixUsers.removeUser(u);
                if (p != null) {
                    problems.add(p);
                }
            }
            String p = UnixUsers.removeGroup(GROUP);
            if (p != null) {
                problems.add(p);
            }
            UnixUsers.deleteTree(classPathCopy);
        } finally {
            usersLock.channel().close();
            usersLock = null;
        }
        assertThat(problems).as("removing the test users and group").isEmpty();
    }

    @BeforeEach
    void paths() throws IOException {
        defaultDir = Path.of("/tmp", "sharedmap-" + owner.uid());
        UnixUsers.deleteTree(defaultDir); // left by an aborted run
        Path home = Files.createTempDirectory(Path.of("/tmp"), "smt-sd-");
        Files.setAttribute(home, "unix:uid", (int) owner.uid());
        ownerData = home.resolve("data");
    }

    @AfterEach
    void cleanUp() {
        UnixUsers.deleteTree(defaultDir);
        UnixUsers.deleteTree(ownerData.getParent());
    }

    /** The sharedmap CLI as {@code user}, finding socket and data directory by itself (socket: the /tmp default). */
    private ChildProcess sharedmapAs(User user, String name, String... args) {
        List<String> java = new ArrayList<>(List.of(JavaCommand.javaBinary()));
        java.addAll(SystemTestEnv.CLIENT_JVM_ARGS);
        java.addAll(List.of("-XX:-UsePerfData", "-cp", publicClassPath, "io.sharedmap.cli.Main"));
        java.addAll(List.of(args));
        List<String> command = new ArrayList<>(
                List.of("env", "-u", "XDG_RUNTIME_DIR", "-u", "SHAREDMAP_SOCKET", "SHAREDMAP_DIR=" + ownerData));
        command.addAll(UnixUsers.runAs(user, java));
        return env.startCommand(name, command);
    }

    /** A shell command as {@code user}; returns its exit code. */
    private int shellAs(User user, String name, String script) {
        return env.startCommand(name, UnixUsers.runAs(user, List.of("sh", "-c", script)))
                .awaitExit(COMMAND_TIMEOUT);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void defaultDirectoryMadeByAnotherUser_daemonRefusesIt_clientRefusesTheFakeDaemon_ownDirectoryWorks()
            throws Exception {
        // The squatter makes the owner's directory first, open to all like /tmp itself.
        assertThat(shellAs(squatter, "squat", "mkdir -m 1777 " + defaultDir)).isZero();
        assertThat(Files.getAttribute(defaultDir, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo((int) squatter.uid());

        ChildProcess refused = sharedmapAs(owner, "owner-daemon-refused", "server");
        assertThat(refused.awaitExit(COMMAND_TIMEOUT))
                .as("exit code" + refused.describeEnd())
                .isEqualTo(6);
        assertThat(String.join("\n", refused.stderrLines()))
                .contains(
                        "the default socket directory " + defaultDir,
                        "owned by " + squatter.name() + " (uid " + squatter.uid() + "), mode rwxrwxrwx",
                        "XDG_RUNTIME_DIR");
        assertThat(defaultDir.resolve("sharedmap.sock"))
                .as("nothing bound there")
                .doesNotExist();

        // A fake daemon in it (any daemon will do: here root's, open to all), waiting for the owner's client.
        DaemonProcess fake = env.startDaemon(env.daemonSpec()
                .withName("fake")
                .withSocket(defaultDir.resolve("sharedmap.sock"))
                .withServerArgs("--socket-mode", "0666"));
        try (SharedMap spy = SharedMap.connect(fake.socket())) {
            String before = spy.stats().get("connections_total");
            ChildProcess status = sharedmapAs(owner, "owner-status-refused", "status");
            assertThat(status.awaitExit(COMMAND_TIMEOUT))
                    .as("exit code" + status.describeEnd())
                    .isEqualTo(3);
            assertThat(String.join("\n", status.stderrLines()))
                    .contains(
                            "refusing the default socket directory " + defaultDir,
                            "owned by " + squatter.name(),
                            "fake daemon",
                            "XDG_RUNTIME_DIR");
            assertThat(spy.stats().get("connections_total"))
                    .as("connections the fake daemon got meanwhile")
                    .isEqualTo(before);
        }
        fake.stop();

        // Control: once the squatter's directory is gone, the owner's daemon makes its own and both work.
        UnixUsers.deleteTree(defaultDir);
        ChildProcess daemon = sharedmapAs(owner, "owner-daemon", "server");
        daemon.awaitLine(l -> l.startsWith(DaemonProcess.READY_PREFIX), DaemonProcess.START_TIMEOUT);
        assertThat(mode(defaultDir)).isEqualTo("rwx------");
        assertThat(Files.getAttribute(defaultDir, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo((int) owner.uid());
        ChildProcess status = sharedmapAs(owner, "owner-status", "status");
        status.awaitExit(COMMAND_TIMEOUT, 0);
        assertThat(status.lines()).contains("socket " + defaultDir.resolve("sharedmap.sock"));
        daemon.sigterm();
        daemon.awaitExit(DaemonProcess.STOP_TIMEOUT, 0);
    }
}
