package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Default socket and data directory, with environment, uid and file system injected. */
class SharedMapPathsTest {
    private static final IntSupplier ROOT = () -> 0;
    private static final IntSupplier USER = () -> 1000;
    private static final IntSupplier NO_UID = () -> {
        throw new AssertionError("uid must not be needed");
    };
    private static final Predicate<Path> EXISTS = p -> true;
    private static final Predicate<Path> MISSING = p -> false;
    private static final Path HOME = Path.of("/home/ann");
    /** A uid no account here uses: the other user who made the directory first. */
    private static final int STRANGER = 4_242_424;

    @Test
    void socketFor_envOverride_winsWithoutUid() {
        assertThat(SharedMapPaths.socketFor(Map.of("SHAREDMAP_SOCKET", "/x/y.sock"), NO_UID, MISSING))
                .isEqualTo(Path.of("/x/y.sock"));
    }

    @Test
    void socketFor_emptyOverride_isIgnored() {
        assertThat(SharedMapPaths.socketFor(Map.of("SHAREDMAP_SOCKET", ""), ROOT, MISSING))
                .isEqualTo(Path.of("/run/sharedmap/sharedmap.sock"));
    }

    @Test
    void socketFor_root_usesRun() {
        assertThat(SharedMapPaths.socketFor(Map.of("XDG_RUNTIME_DIR", "/run/user/0"), ROOT, EXISTS))
                .isEqualTo(Path.of("/run/sharedmap/sharedmap.sock"));
    }

    @Test
    void socketFor_userWithExistingRuntimeDir_usesIt() {
        assertThat(SharedMapPaths.socketFor(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), USER, EXISTS))
                .isEqualTo(Path.of("/run/user/1000/sharedmap/sharedmap.sock"));
    }

    @Test
    void socketFor_userWithMissingRuntimeDir_usesTmpPerUid() {
        assertThat(SharedMapPaths.socketFor(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), USER, MISSING))
                .isEqualTo(Path.of("/tmp/sharedmap-1000/sharedmap.sock"));
    }

    @Test
    void socketFor_userWithRelativeRuntimeDir_usesTmpPerUid() {
        assertThat(SharedMapPaths.socketFor(Map.of("XDG_RUNTIME_DIR", "run"), USER, EXISTS))
                .isEqualTo(Path.of("/tmp/sharedmap-1000/sharedmap.sock"));
    }

    @Test
    void socketFor_userWithoutRuntimeDir_usesTmpPerUid() {
        assertThat(SharedMapPaths.socketFor(Map.of(), USER, EXISTS))
                .isEqualTo(Path.of("/tmp/sharedmap-1000/sharedmap.sock"));
    }

    @Test
    void dataDirFor_envOverride_winsWithoutUid() {
        assertThat(SharedMapPaths.dataDirFor(Map.of("SHAREDMAP_DIR", "/data/sm"), NO_UID, HOME))
                .isEqualTo(Path.of("/data/sm"));
    }

    @Test
    void dataDirFor_root_usesVarLib() {
        assertThat(SharedMapPaths.dataDirFor(Map.of("XDG_DATA_HOME", "/x"), ROOT, HOME))
                .isEqualTo(Path.of("/var/lib/sharedmap"));
    }

    @Test
    void dataDirFor_userWithXdgDataHome_usesIt() {
        assertThat(SharedMapPaths.dataDirFor(Map.of("XDG_DATA_HOME", "/home/ann/data"), USER, HOME))
                .isEqualTo(Path.of("/home/ann/data/sharedmap"));
    }

    @Test
    void dataDirFor_userWithoutXdgDataHome_usesLocalShare() {
        assertThat(SharedMapPaths.dataDirFor(Map.of(), USER, HOME))
                .isEqualTo(Path.of("/home/ann/.local/share/sharedmap"));
    }

    @Test
    void currentUid_onLinux_matchesProcSelfOwner() throws Exception {
        int uid = SharedMapPaths.currentUid();

        assertThat(uid).isEqualTo(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        assertThat(SharedMapPaths.defaultSocket()).isAbsolute();
        assertThat(SharedMapPaths.defaultDataDir()).isAbsolute();
    }

    // ---- the per-user default directory in /tmp ------------------------------------------------

    @Test
    void checkOwnDirectory_ownAndNotWritableByOthers_accepted(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("sharedmap-1000"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));

        SharedMapPaths.checkOwnDirectory(dir, SharedMapPaths.currentUid());
        SharedMapPaths.checkOwnDirectory(
                tmp.resolve("missing"), SharedMapPaths.currentUid()); // no daemon: connect says so
    }

    @Test
    void checkOwnDirectory_ofAnotherUser_refusedNamingOwnerAndMode(@TempDir Path tmp) throws Exception {
        assumeTrue(SharedMapPaths.currentUid() == 0, "giving a directory to another uid needs root");
        Path dir = Files.createDirectory(tmp.resolve("sharedmap-1000"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setAttribute(dir, "unix:uid", STRANGER);

        assertThatThrownBy(() -> SharedMapPaths.checkOwnDirectory(dir, 0))
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("refusing the default socket directory " + dir)
                .hasMessageContaining("(uid " + STRANGER + "), mode rwxrwxrwx")
                .hasMessageContaining("fake daemon");
    }

    @Test
    void checkOwnDirectory_ownButWritableByGroup_refused(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("sharedmap-1000"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));

        assertThatThrownBy(() -> SharedMapPaths.checkOwnDirectory(dir, SharedMapPaths.currentUid()))
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("rwxrwx---");
    }

    @Test
    void checkOwnDirectory_symbolicLinkToOwnDirectory_refused(@TempDir Path tmp) throws Exception {
        Path target = Files.createDirectory(tmp.resolve("elsewhere"));
        Path dir = Files.createSymbolicLink(tmp.resolve("sharedmap-1000"), target);

        assertThatThrownBy(() -> SharedMapPaths.checkOwnDirectory(dir, SharedMapPaths.currentUid()))
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("a symbolic link");
    }

    @Test
    void checkSocketDirectory_otherPaths_notChecked(@TempDir Path tmp) throws Exception {
        assumeTrue(SharedMapPaths.currentUid() == 0, "giving a directory to another uid needs root");
        Path dir = Files.createDirectory(tmp.resolve("sharedmap-0"));
        Files.setAttribute(dir, "unix:uid", STRANGER);

        SharedMapPaths.checkSocketDirectory(dir.resolve("sharedmap.sock")); // not under /tmp itself: an operator's path
        SharedMapPaths.checkSocketDirectory(
                Path.of("/tmp/sharedmap-" + STRANGER + "/sharedmap.sock")); // another user's
        SharedMapPaths.checkSocketDirectory(Path.of("/tmp/sharedmap-0/other.sock")); // not the default name
    }
}
