package io.sharedmap.server.engine;

import io.sharedmap.server.security.Owner;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What engine operations return. Every result carries {@code visibleVersion}: the journal version
 * that must be durable before the result may be shown to a client (see {@link Engine#awaitDurable}).
 */
public final class Results {
    private Results() {}

    /** GET: {@code entry} is null when the key is absent. */
    public record Lookup(@Nullable Entry entry, long visibleVersion) {}

    /**
     * The outcome of a change. Its {@link #code()} is what the journal (TYPE_OUTCOME records),
     * snapshots and the sessions file store: stable numbers, never the declaration order.
     */
    public enum Outcome {
        CREATED(0),
        UPDATED(1),
        DELETED(2),
        NOT_FOUND(3),
        CONFLICT(4);

        private final int code;

        Outcome(int code) {
            this.code = code;
        }

        /** The number stored on disk. */
        public int code() {
            return code;
        }

        public static boolean isCode(int code) {
            return code >= 0 && code <= 4;
        }

        /** The outcome stored as {@code code}. */
        public static Outcome ofCode(int code) {
            return switch (code) {
                case 0 -> CREATED;
                case 1 -> UPDATED;
                case 2 -> DELETED;
                case 3 -> NOT_FOUND;
                case 4 -> CONFLICT;
                default -> throw new IllegalArgumentException("no outcome has code " + code);
            };
        }
    }

    /**
     * SET, CAS, DELETE. {@code version}: the new entry's version (CREATED, UPDATED), the removed
     * entry's (DELETED), the current one (CONFLICT, 0 if absent), 0 (NOT_FOUND).
     */
    public record Write(Outcome outcome, long version, long visibleVersion) {}

    /** One key of a scan page. */
    public record ScannedKey(byte[] key, long version, int valueLength, Owner owner) {}

    /** CHMOD, CHOWN: keys changed, keys skipped (not permitted); absent single key: {@code found} false. */
    public record Changed(boolean found, long changed, long skipped, long visibleVersion) {}

    /** A scan page; {@code nextCursor} is empty when the scan is complete. */
    public record ScanPage(List<ScannedKey> keys, byte[] nextCursor, long visibleVersion) {}
}
