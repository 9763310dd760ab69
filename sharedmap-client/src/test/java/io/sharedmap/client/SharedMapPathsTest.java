package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

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
    assertThat(SharedMapPaths.socketFor(Map.of(), USER, EXISTS)).isEqualTo(Path.of("/tmp/sharedmap-1000/sharedmap.sock"));
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
    assertThat(SharedMapPaths.dataDirFor(Map.of(), USER, HOME)).isEqualTo(Path.of("/home/ann/.local/share/sharedmap"));
  }

  @Test
  void currentUid_onLinux_matchesProcSelfOwner() throws Exception {
    int uid = SharedMapPaths.currentUid();

    assertThat(uid).isEqualTo(java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    assertThat(SharedMapPaths.defaultSocket()).isAbsolute();
    assertThat(SharedMapPaths.defaultDataDir()).isAbsolute();
  }
}
