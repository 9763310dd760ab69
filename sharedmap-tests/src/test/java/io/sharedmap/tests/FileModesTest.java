package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.Limits;
import io.sharedmap.client.Principal;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the daemon creates does not depend on its umask: a daemon started with umask 000 (which
 * makes {@code rwxrwxrwx} directories and {@code rw-rw-rw-} files of anything created without an
 * explicit mode) still makes its data directory {@code rwx------} and every file in it {@code
 * rw-------}, through writes, a snapshot, a limit change and a recovery that saves a torn tail; the
 * socket and the mapped store keep the modes they are given. A data directory that other users may already
 * reach is served, with a WARNING that names the fix.
 */
class FileModesTest {
    private static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void umask000_dataDirectoryAndEveryFileInItPrivate_socketAndStoreKeepTheirModes() throws Exception {
        Path top = env.scratch().resolve("var");
        DaemonProcess.Spec spec = env.daemonSpec()
                .withDataDir(top.resolve("data"))
                .withSocket(env.scratch().resolve("run/s.sock"))
                .withUmask("000")
                .withServerArgs("--snapshot-min-journal-bytes", "1048576", "--durability", "always");
        DaemonProcess daemon = env.startDaemon(spec);
        byte[] value = new byte[64 * 1024];
        Arrays.fill(value, (byte) 's');
        try (SharedMap map = SharedMap.connect(spec.socket())) {
            map.set("small", "secret");
            for (int i = 0; i < 40; i++) { // 2.5 MiB of journal over 512 KiB of live data: a snapshot
                map.set(("big" + i % 8).getBytes(StandardCharsets.UTF_8), value);
            }
            Await.until("a snapshot", () -> Long.parseLong(map.stats().get("snapshots")) >= 1, SNAPSHOT_TIMEOUT);
            map.setLimits(Principal.DEFAULT, new Limits(1000, Limits.KEEP, Limits.KEEP));
        }
        daemon.stop();
        Path segment;
        try (Stream<Path> files = Files.list(spec.dataDir())) {
            segment = files.filter(p -> p.getFileName().toString().matches("journal-\\d+\\.log"))
                    .sorted()
                    .toList()
                    .getLast();
        }
        Files.write(segment, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, StandardOpenOption.APPEND); // a torn record
        DaemonProcess restarted = env.startDaemon(spec);
        try (SharedMap map = SharedMap.connect(spec.socket())) {
            assertThat(map.stats())
                    .as("the torn tail saved aside")
                    .containsEntry("recovery_dropped_bytes", "9")
                    .containsEntry("data_dir_warning", "");
            map.set("after", "restart");
        }

        Map<String, String> modes = new TreeMap<>();
        Map<String, String> storeModes = new TreeMap<>();
        try (Stream<Path> all = Files.walk(top)) {
            for (Path p : all.toList()) {
                String name = env.scratch().relativize(p).toString();
                (name.startsWith("var/data.store") ? storeModes : modes).put(name, mode(p));
            }
        }
        assertThat(modes.keySet())
                .as("what the daemon made")
                .contains("var/data/LOCK", "var/data/limits", "var/data/store-id", "var/data/store-path")
                .anyMatch(n -> n.matches("var/data/journal-\\d+\\.log"))
                .anyMatch(n -> n.matches("var/data/snapshot-\\d+\\.snap"))
                .anyMatch(n -> n.matches("var/data/journal-\\d+\\.log\\.damaged-\\d+"));
        modes.forEach((name, mode) -> assertThat(mode)
                .as(name)
                .isEqualTo(name.equals("var") || name.equals("var/data") ? "rwx------" : "rw-------"));
        // The mapped store (here beside the data directory, --store-dir): the public side readable by
        // who may connect (the socket is rw-rw----, so rw-r-----), the private side the daemon's alone.
        assertThat(storeModes)
                .as("the store")
                .containsEntry("var/data.store", "rwx--x---")
                .containsEntry("var/data.store/public", "rwx--x---")
                .containsEntry("var/data.store/public/root", "rw-r-----")
                .containsEntry("var/data.store/private", "rwx------")
                .containsEntry("var/data.store/private/meta", "rw-------");
        storeModes.forEach((name, mode) -> {
            if (name.startsWith("var/data.store/public/")) {
                assertThat(mode).as(name).isEqualTo("rw-r-----");
            } else if (name.startsWith("var/data.store/private/")) {
                assertThat(mode).as(name).isEqualTo("rw-------");
            }
        });
        Path run = spec.socket().getParent();
        try (Stream<Path> s = Files.list(run)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .as("no temporary socket left; the RESP socket beside the binary one")
                    .containsExactly("s.sock", "s.sock.resp", "s.sock.store");
        }
        assertThat(mode(run)).as("the socket's directory (made by the daemon)").isEqualTo("rwxr-xr-x");
        assertThat(mode(spec.socket()))
                .as("the socket: --socket-mode's default")
                .isEqualTo("rw-rw----");
        assertThat(mode(run.resolve("s.sock.resp")))
                .as("the RESP socket: the same mode, whatever the umask")
                .isEqualTo("rw-rw----");
        assertThat(Files.readSymbolicLink(run.resolve("s.sock.store")))
                .as("the link clients follow to the store")
                .isEqualTo(top.resolve("data.store"));
        restarted.stop();
        restarted.assertNoUnexpectedErrors(env.allowedErrors());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void existingDataDirectoryOthersMayRead_servedWithAWarningNamingModeAndFix() throws Exception {
        Path dir = env.newDir("open");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        DaemonProcess daemon = env.startDaemon(env.daemonSpec().withDataDir(dir));
        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            map.set("k", "v");
            assertThat(map.stats().get("data_dir_warning")).contains(dir.toString(), "0755", "chmod 700 " + dir);
        }
        assertThat(daemon.logLines())
                .as("the daemon's log")
                .anyMatch(l -> l.contains(" WARNING ")
                        && l.contains("data directory " + dir + " is mode 0755 (rwxr-xr-x")
                        && l.endsWith("fix: chmod 700 " + dir));
        assertThat(mode(dir)).as("left as the operator made it").isEqualTo("rwxr-xr-x");
        daemon.stop();
    }
}
