package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's data directory is created private and its files too; one that already lets other
 * users in is served, with a warning in STATS (and the log) that names the fix.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DataDirectoryModesTest {
    @TempDir
    Path root;

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void start_newDataDirectory_directoriesAndEveryFilePrivate_socketAndViewKeepTheirModes() throws Exception {
        Path dir = root.resolve("var/data");
        Path socket = root.resolve("run/s.sock");
        try (SharedMapServer server = SharedMapServer.start(ServerConfig.defaults(dir, socket))) {
            assertThat(server.statsSnapshot()).containsEntry("data_dir_warning", "");
        }
        Map<String, String> modes = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root.resolve("var"))) {
            for (Path p : all.toList()) {
                modes.put(root.relativize(p).toString(), mode(p));
            }
        }
        assertThat(modes)
                .containsKeys("var/data/LOCK", "var/data/view-path")
                .anySatisfy((name, mode) -> assertThat(name).matches("var/data/journal-\\d+\\.log"));
        modes.forEach((name, mode) -> assertThat(mode)
                .as(name)
                .isEqualTo(name.equals("var") || name.equals("var/data") ? "rwx------" : "rw-------"));
        assertThat(mode(root.resolve("run")))
                .as("the socket's directory: clients reach it, nobody else writes it")
                .isEqualTo("rwxr-xr-x");
    }

    @Test
    void start_existingDataDirectoryOthersMayRead_servesAndWarnsUntilFixed() throws Exception {
        Path dir = Files.createDirectory(root.resolve("data"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (SharedMapServer server = SharedMapServer.start(ServerConfig.defaults(dir, root.resolve("s.sock")))) {
            assertThat(server.statsSnapshot().get("data_dir_warning"))
                    .contains("data directory " + dir + " is mode 0755 (rwxr-xr-x", "chmod 700 " + dir);
            assertThat(mode(dir)).as("an existing directory is not changed").isEqualTo("rwxr-xr-x");

            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            assertThat(server.statsSnapshot()).as("after the fix").containsEntry("data_dir_warning", "");
        }
    }
}
