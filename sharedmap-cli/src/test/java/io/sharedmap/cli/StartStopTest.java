package io.sharedmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli.Result;
import io.sharedmap.client.SharedMap;
import io.sharedmap.launcher.Daemon;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.os.files.FileModes;
import io.sharedmap.server.testing.TestDaemon;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code start} spawns a real background daemon (a separate JVM); {@code stop} ends it. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StartStopTest {
    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    private Path root;
    private Path dir;
    private Path socket;
    private long spawnedPid = -1;

    @BeforeEach
    void paths() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "smt");
        dir = root.resolve("data");
        socket = root.resolve("s.sock");
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (spawnedPid > 0) { // only if the test failed before stopping the daemon it started
            ProcessHandle.of(spawnedPid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static long pidIn(String text) {
        Matcher m = PID.matcher(text);
        assertThat(m.find()).as(text).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void startStatusStop_backgroundDaemon_lifecycle() {
        Result started =
                Cli.run("start", "--dir", dir.toString(), "--socket", socket.toString(), "--durability", "always");
        assertThat(started.exitCode()).as(started.err()).isZero();
        assertThat(started.out()).startsWith("started: pid ").contains("socket " + socket, "data " + dir);
        spawnedPid = pidIn(started.out());
        assertThat(mode(dir)).as("the data directory start made").isEqualTo("rwx------");
        assertThat(mode(dir.resolve(DaemonLauncher.LOG_FILE_NAME)))
                .as("daemon.log")
                .isEqualTo("rw-------");

        Result again = Cli.run("start", "--dir", dir.toString(), "--socket", socket.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).startsWith("already running: pid " + spawnedPid);

        try (SharedMap map = SharedMap.connect(socket)) {
            map.set("k", "v");
            assertThat(map.stats()).containsEntry("durability", "always");
        }
        Result status = Cli.run("status", "--socket", socket.toString());
        assertThat(status.out()).contains("pid " + spawnedPid, "keys 1");

        Result stopped = Cli.run("stop", "--socket", socket.toString());
        assertThat(stopped.exitCode()).as(stopped.err()).isZero();
        assertThat(stopped.out()).isEqualTo("stopped: pid " + spawnedPid + "\n");
        assertThat(ProcessHandle.of(spawnedPid).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
        spawnedPid = -1;

        assertThat(Cli.run("status", "--socket", socket.toString()).exitCode()).isEqualTo(3);
        assertThat(Daemon.tail(dir.resolve(DaemonLauncher.LOG_FILE_NAME), 20))
                .anyMatch(l -> l.startsWith("sharedmap serving on " + socket));
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void status_dataDirectoryOthersMayRead_printsWarningWithTheFix() throws Exception {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
        try (TestDaemon _ = TestDaemon.startAt(dir, socket).allow("data directory .* is mode 0750")) {
            Result plain = Cli.run("status", "--socket", socket.toString());
            Result json = Cli.run("status", "--socket", socket.toString(), "--json");

            assertThat(plain.exitCode()).isZero();
            assertThat(plain.out().lines())
                    .last()
                    .asString()
                    .startsWith("warning data directory " + dir + " is mode 0750 (rwxr-x---, owner ")
                    .contains("other users may reach the journal and snapshots")
                    .endsWith("fix: chmod 700 " + dir);
            assertThat(json.out()).contains("\"warning\":\"data directory " + dir + " is mode 0750");

            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            assertThat(Cli.run("status", "--socket", socket.toString()).out()).doesNotContain("warning");
            assertThat(Cli.run("status", "--socket", socket.toString(), "--json")
                            .out())
                    .contains("\"warning\":\"\"");
        }
    }

    @Test
    void start_socketHeldByADaemonThatDoesNotAnswer_exits6WithoutStartingAnother() throws Exception {
        // bound and listening, never accepting: what a daemon stopped with SIGSTOP looks like
        try (ServerSocketChannel mute = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            mute.bind(UnixDomainSocketAddress.of(socket));

            Result r = Cli.run("start", "--dir", dir.toString(), "--socket", socket.toString(), "--timeout-ms", "1000");

            assertThat(r.exitCode()).isEqualTo(6);
            assertThat(r.err())
                    .contains(socket.toString(), "did not answer its hello within 1 s", "not starting another daemon");
            assertThat(dir.resolve("daemon.log")).as("nothing was spawned").doesNotExist();
        }
    }

    @Test
    void start_daemonCannotStart_exits6WithLogLines() throws Exception {
        FileModes.createPrivateDirectories(dir);
        Files.writeString(dir.resolve("daemon.log"), "earlier line\n");
        try (TestDaemon _ = TestDaemon.startAt(dir, root.resolve("holder.sock"))) {
            Result r = Cli.run("start", "--dir", dir.toString(), "--socket", socket.toString());

            assertThat(r.exitCode()).isEqualTo(6);
            assertThat(r.err())
                    .contains(
                            "earlier line",
                            "exited with status 6",
                            dir.resolve("daemon.log").toString());
        }
    }
}
