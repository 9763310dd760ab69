package io.sharedmap.server;

import io.sharedmap.protocol.view.ViewDescriptor;
import java.nio.file.Path;

/**
 * The shared-memory view that lets clients read without a system call (docs/OPERATIONS.md, "Direct
 * reads"). Who may open the view file follows who may connect: it is readable by the socket's
 * owner, by its group if the group may connect, and by everyone if everyone may connect (the read
 * bits of the view are the write bits of {@code --socket-mode}); the file's group is the socket's.
 * Keys that someone able to open the file could not read through the socket are never published.
 *
 * <p>The file is always {@code SOCKET.view}, beside the socket: clients can reach that directory
 * (they reach the socket), /run is in memory, and above all every daemon started on the socket,
 * whatever its data directory, durability or view settings, finds there the view of the daemon it
 * replaces and retires it before it acknowledges anything.
 *
 * @param enabled publish a view (not in {@code never} mode, which acknowledges before writing)
 * @param slotCount slots in the view's hash table, a power of two from {@value
 *     ViewDescriptor#MIN_SLOT_COUNT} to {@value ViewDescriptor#MAX_SLOT_COUNT}
 * @param slotSize bytes per slot, a power of two from {@value ViewDescriptor#MIN_SLOT_SIZE} to
 *     {@value ViewDescriptor#MAX_SLOT_SIZE}; keys whose key plus value exceed {@code slotSize - 28}
 *     bytes are read through the socket
 */
public record ViewConfig(boolean enabled, int slotCount, int slotSize) {
    public static final ViewConfig DEFAULTS =
            new ViewConfig(true, ViewDescriptor.DEFAULT_SLOT_COUNT, ViewDescriptor.DEFAULT_SLOT_SIZE);
    /** Largest view file: 16 GiB of slots. */
    public static final long MAX_VIEW_BYTES = 16L << 30;

    public static final ViewConfig DISABLED =
            new ViewConfig(false, ViewDescriptor.DEFAULT_SLOT_COUNT, ViewDescriptor.DEFAULT_SLOT_SIZE);

    /**
     * Checks the geometry.
     *
     * @throws IllegalArgumentException naming the option, its value and the allowed range
     */
    public ViewConfig validate() {
        String bad = ViewDescriptor.checkGeometry(slotCount, ViewDescriptor.MIN_SLOT_SIZE);
        if (bad != null) {
            throw new IllegalArgumentException("--view-slots: " + bad);
        }
        bad = ViewDescriptor.checkGeometry(ViewDescriptor.MIN_SLOT_COUNT, slotSize);
        if (bad != null) {
            throw new IllegalArgumentException("--view-slot-size: " + bad);
        }
        long bytes = (long) slotCount * slotSize;
        if (bytes > MAX_VIEW_BYTES) {
            throw new IllegalArgumentException("--view-slots " + slotCount + " x --view-slot-size " + slotSize + " = "
                    + bytes + " bytes exceeds the view's limit of " + MAX_VIEW_BYTES + " bytes (16 GiB)");
        }
        return this;
    }

    /** The view file of the daemon serving {@code socket} (absolute): {@code SOCKET.view}. */
    public static Path file(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".view");
    }
}
