package io.sharedmap.server;

import io.sharedmap.protocol.view.ViewDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The shared-memory view that lets clients read without a system call (docs/OPERATIONS.md, "Direct
 * reads"). Who may open the view file follows who may connect: it is readable by the socket's
 * owner, by its group if the group may connect, and by everyone if everyone may connect (the read
 * bits of the view are the write bits of {@code --socket-mode}); the file's group is the socket's.
 * Keys that someone able to open the file could not read through the socket are never published.
 *
 * @param enabled publish a view (not in {@code never} mode, which acknowledges before writing)
 * @param dir directory of the view file; null: beside the socket, as {@code SOCKET.view} (clients
 *     can reach the socket's directory, and /run is in memory); elsewhere the file is {@code
 *     sharedmap-HASH.view}, HASH naming the socket. Either way the name follows the socket, which is
 *     what clients know the daemon by, so a daemon started on a socket retires the view of the one
 *     it replaces, whatever its data directory
 * @param slotCount slots in the view's hash table, a power of two from {@value
 *     ViewDescriptor#MIN_SLOT_COUNT} to {@value ViewDescriptor#MAX_SLOT_COUNT}
 * @param slotSize bytes per slot, a power of two from {@value ViewDescriptor#MIN_SLOT_SIZE} to
 *     {@value ViewDescriptor#MAX_SLOT_SIZE}; keys whose key plus value exceed {@code slotSize - 28}
 *     bytes are read through the socket
 */
public record ViewConfig(boolean enabled, Path dir, int slotCount, int slotSize) {
  public static final ViewConfig DEFAULTS = new ViewConfig(true, null, ViewDescriptor.DEFAULT_SLOT_COUNT,
      ViewDescriptor.DEFAULT_SLOT_SIZE);
  public static final ViewConfig DISABLED = new ViewConfig(false, null, ViewDescriptor.DEFAULT_SLOT_COUNT,
      ViewDescriptor.DEFAULT_SLOT_SIZE);

  /**
   * Checks the geometry.
   *
   * @throws IllegalArgumentException naming the option, its value and the allowed range
   */
  public ViewConfig validate() {
    String bad = ViewDescriptor.checkGeometry(slotCount, 1 << 16);
    if (bad != null) {
      throw new IllegalArgumentException("--view-slots: " + bad);
    }
    bad = ViewDescriptor.checkGeometry(ViewDescriptor.MIN_SLOT_COUNT, slotSize);
    if (bad != null) {
      throw new IllegalArgumentException("--view-slot-size: " + bad);
    }
    return this;
  }

  /** The view file of the daemon serving {@code socket} (absolute). */
  public Path file(Path socket) {
    if (dir == null) {
      return socket.resolveSibling(socket.getFileName() + ".view");
    }
    byte[] name = socket.toString().getBytes(StandardCharsets.UTF_8);
    long h = 1125899906842597L; // a stable 64-bit string hash: same socket, same file
    for (byte b : name) {
      h = 31 * h + b;
    }
    return dir.toAbsolutePath().resolve("sharedmap-" + HexFormat.of().toHexDigits(h) + ".view");
  }
}
