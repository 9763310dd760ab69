package io.sharedmap.bench;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A {@code --target}: {@code sharedmap} or {@code redis} (the harness starts its own server) or
 * {@code sharedmap:SOCKET} / {@code redis:SOCKET} (one already running on that Unix socket).
 *
 * @param kind which store
 * @param socket the socket of a running server, or {@code null} to start one
 */
public record TargetSpec(Kind kind, Path socket) {

  /** The stores the harness can drive. */
  public enum Kind {
    SHAREDMAP,
    REDIS;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Whether the harness starts (and stops) the server itself. */
  public boolean managed() {
    return socket == null;
  }

  static TargetSpec parse(String s) {
    String t = s.trim();
    int colon = t.indexOf(':');
    String name = colon < 0 ? t : t.substring(0, colon);
    Kind kind = switch (name.toLowerCase(Locale.ROOT)) {
      case "sharedmap" -> Kind.SHAREDMAP;
      case "redis" -> Kind.REDIS;
      default -> throw new IllegalArgumentException("unknown target '" + s
          + "'; expected sharedmap, sharedmap:SOCKET, redis or redis:SOCKET");
    };
    if (colon < 0) {
      return new TargetSpec(kind, null);
    }
    String path = t.substring(colon + 1);
    if (path.isEmpty()) {
      throw new IllegalArgumentException("target '" + s + "': empty socket path");
    }
    return new TargetSpec(kind, Path.of(path));
  }

  @Override
  public String toString() {
    return managed() ? kind.label() : kind.label() + ":" + socket;
  }
}
