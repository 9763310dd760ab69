package io.sharedmap.server.engine;

import java.util.List;

/**
 * What engine operations return. Every result carries {@code visibleVersion}: the journal version
 * that must be durable before the result may be shown to a client (see {@link Engine#awaitDurable}).
 */
public final class Results {
    private Results() {}

    /** GET: {@code entry} is null when the key is absent. */
    public record Lookup(Entry entry, long visibleVersion) {}

    /** The outcome of a change. */
    public enum Outcome {
        CREATED,
        UPDATED,
        DELETED,
        NOT_FOUND,
        CONFLICT
    }

    /**
     * SET, CAS, DELETE. {@code version}: the new entry's version (CREATED, UPDATED), the removed
     * entry's (DELETED), the current one (CONFLICT, 0 if absent), 0 (NOT_FOUND).
     */
    public record Write(Outcome outcome, long version, long visibleVersion) {}

    /** One key of a scan page. */
    public record ScannedKey(byte[] key, long version, int valueLength, io.sharedmap.server.security.Owner owner) {}

    /** CHMOD, CHOWN: keys changed, keys skipped (not permitted); absent single key: {@code found} false. */
    public record Changed(boolean found, long changed, long skipped, long visibleVersion) {}

    /** A scan page; {@code nextCursor} is empty when the scan is complete. */
    public record ScanPage(List<ScannedKey> keys, byte[] nextCursor, long visibleVersion) {}
}
