package io.sharedmap.server;

import java.util.Locale;

/**
 * What an acknowledgement promises about the journal. See docs/OPERATIONS.md.
 *
 * <ul>
 *   <li>{@link #ALWAYS}: the change's journal record is fsynced before the reply. Survives a daemon
 *       crash and power loss. Concurrent writers share fsyncs (group commit).
 *   <li>{@link #INTERVAL} (default): the record is written to the operating system before the reply
 *       and fsynced at most every {@code --fsync-interval-ms}. Survives {@code kill -9} of the
 *       daemon; power loss or a kernel crash may lose the last interval.
 *   <li>{@link #NEVER}: the reply does not wait for the journal at all; records are written to the
 *       OS in the background and fsynced only at snapshots and stop. A daemon crash may lose the last
 *       few milliseconds of acknowledged writes.
 * </ul>
 */
public enum Durability {
    ALWAYS,
    INTERVAL,
    NEVER;

    /** Parses {@code always}, {@code interval} or {@code never}, ignoring case. */
    public static Durability parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("durability must be one of always, interval, never; got '" + s + "'", e);
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
