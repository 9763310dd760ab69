package io.sharedmap.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Predicate;

/**
 * Where a daemon's socket and data live by default. The daemon itself reads no environment; the
 * CLI and {@link SharedMap#connect()} use these.
 *
 * <table>
 *   <caption>Resolution, first match wins</caption>
 *   <tr><th></th><th>socket</th><th>data directory</th></tr>
 *   <tr><td>override</td><td>{@code $SHAREDMAP_SOCKET}</td><td>{@code $SHAREDMAP_DIR}</td></tr>
 *   <tr><td>root</td><td>{@code /run/sharedmap/sharedmap.sock}</td><td>{@code /var/lib/sharedmap}</td></tr>
 *   <tr><td>other users</td><td>{@code $XDG_RUNTIME_DIR/sharedmap/sharedmap.sock} if that directory
 *       exists, else {@code /tmp/sharedmap-<uid>/sharedmap.sock}</td>
 *       <td>{@code $XDG_DATA_HOME/sharedmap}, else {@code ~/.local/share/sharedmap}</td></tr>
 * </table>
 *
 * <p>Empty and (for the XDG variables) relative values count as unset.
 */
public final class SharedMapPaths {
  /** Environment variable that overrides the socket path. */
  public static final String SOCKET_ENV = "SHAREDMAP_SOCKET";

  /** Environment variable that overrides the data directory. */
  public static final String DIR_ENV = "SHAREDMAP_DIR";

  private static final String SOCKET_NAME = "sharedmap.sock";

  private SharedMapPaths() {}

  /** The socket a client connects to and a daemon listens on unless told otherwise. */
  public static Path defaultSocket() {
    return socketFor(System.getenv(), SharedMapPaths::currentUid, Files::isDirectory);
  }

  /** The directory a daemon keeps its data in unless told otherwise. */
  public static Path defaultDataDir() {
    return dataDirFor(System.getenv(), SharedMapPaths::currentUid, Path.of(System.getProperty("user.home")));
  }

  static Path socketFor(Map<String, String> env, IntSupplier uid, Predicate<Path> isDirectory) {
    String override = env.get(SOCKET_ENV);
    if (override != null && !override.isEmpty()) {
      return Path.of(override);
    }
    int id = uid.getAsInt();
    if (id == 0) {
      return Path.of("/run/sharedmap", SOCKET_NAME);
    }
    Path runtime = absolute(env.get("XDG_RUNTIME_DIR"));
    if (runtime != null && isDirectory.test(runtime)) {
      return runtime.resolve("sharedmap").resolve(SOCKET_NAME);
    }
    return Path.of("/tmp", "sharedmap-" + id, SOCKET_NAME);
  }

  static Path dataDirFor(Map<String, String> env, IntSupplier uid, Path home) {
    String override = env.get(DIR_ENV);
    if (override != null && !override.isEmpty()) {
      return Path.of(override);
    }
    if (uid.getAsInt() == 0) {
      return Path.of("/var/lib/sharedmap");
    }
    Path data = absolute(env.get("XDG_DATA_HOME"));
    if (data != null) {
      return data.resolve("sharedmap");
    }
    return home.resolve(".local").resolve("share").resolve("sharedmap");
  }

  private static Path absolute(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    Path p = Path.of(value);
    return p.isAbsolute() ? p : null;
  }

  /** This process's user id, read from {@code /proc/self} (Linux; no native code). */
  static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot read this process's user id from /proc/self (" + e.getMessage()
          + "); set " + SOCKET_ENV + " and " + DIR_ENV, e);
    }
  }
}
