package io.sharedmap.server;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * SCAN cursors of the RESP front door. Redis clients treat a cursor as a number (redis-py converts it
 * with {@code int()}), while the engine's cursor is the last key a page returned; this table gives
 * each such position a number. A cursor belongs to the user (uid) that got it, so it outlives its
 * connection (a client pool may continue a scan on another connection of the same user), and the
 * table keeps only the {@value #CAPACITY} most recently used cursors: an older one is unknown, and
 * SCAN says so. The monitor is a leaf lock (docs/ARCHITECTURE.md).
 */
final class RespCursors {
    static final int CAPACITY = 65_536;

    private record Position(long uid, byte[] after) {}

    private final Object lock = new Object();

    @GuardedBy("lock")
    private final LinkedHashMap<Long, Position> cursors = new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Position> eldest) {
            return size() > CAPACITY;
        }
    };

    @GuardedBy("lock")
    private long next = 1;

    /** A new cursor for user {@code uid} to continue after key {@code after}. */
    long create(long uid, byte[] after) {
        synchronized (lock) {
            long c = next++;
            cursors.put(c, new Position(uid, after));
            return c;
        }
    }

    /** The key after which cursor {@code cursor} continues; null if it is unknown, expired, or another user's. */
    byte @Nullable [] find(long uid, long cursor) {
        synchronized (lock) {
            Position p = cursors.get(cursor);
            return p == null || p.uid() != uid ? null : p.after();
        }
    }
}
