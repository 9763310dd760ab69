package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.protocol.LimitCodec.Amounts;
import io.sharedmap.protocol.LimitCodec.Principal;
import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Caller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's directory and files are created private whatever the umask: the directory and the
 * parents it creates {@code rwx------}, every file {@code rw-------}. (This JVM's umask is the
 * usual 022, which gives {@code rwxr-xr-x} and {@code rw-r--r--} without explicit modes;
 * sharedmap-tests' FileModesTest runs a daemon with umask 000.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoreFileModesTest {
    @TempDir
    Path root;

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** Every entry under {@code dir} (itself included), relative name to mode. */
    private static Map<String, String> modes(Path top, Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                m.put(top.relativize(p).toString(), mode(p));
            }
        }
        return m;
    }

    @Test
    void open_journalSnapshotLimitsAndSavedTail_allPrivate() throws Exception {
        Path dir = root.resolve("a/b/data");
        EngineConfig config = new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30);
        try (Engine e = Engine.open(config)) {
            for (int i = 0; i < 10; i++) {
                e.awaitDurable(e.set(
                                Caller.ROOT,
                                Caller.ROOT.newOwner(022),
                                ("k" + i).getBytes(UTF_8),
                                "secret".getBytes(UTF_8),
                                0,
                                0)
                        .visibleVersion());
            }
            e.snapshot();
            e.accounts().set(Principal.DEFAULT, new Amounts(100, -1, -1));
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(p -> p.getFileName().toString().startsWith("journal-"))
                    .sorted()
                    .toList()
                    .getLast();
        }
        Files.write(segment, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, StandardOpenOption.APPEND); // a torn record
        try (Engine e = Engine.open(config)) {
            assertThat(e.recovery().droppedBytes())
                    .as("the torn tail was cut off and saved aside")
                    .isEqualTo(9);
        }

        Map<String, String> modes = modes(root, root.resolve("a"));
        assertThat(modes.keySet())
                .as("what the store made")
                .anyMatch(n -> n.matches("a/b/data/journal-\\d+\\.log"))
                .anyMatch(n -> n.matches("a/b/data/snapshot-\\d+\\.snap"))
                .contains("a/b/data/limits")
                .anyMatch(n -> n.matches("a/b/data/journal-\\d+\\.log\\.damaged-\\d+"));
        modes.forEach((name, mode) -> assertThat(mode)
                .as(name)
                .isEqualTo(
                        name.equals("a") || name.equals("a/b") || name.equals("a/b/data") ? "rwx------" : "rw-------"));
    }
}
