package io.sharedmap.client;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * One change of a watched key: what happened, to which key, at which version (the journal's order:
 * a watcher sees increasing versions), and, for a SET of a watch with values, the new value. A
 * {@link Kind#PROGRESS} event has no key: nothing the watch covers changed up to its version.
 */
public record WatchEvent(Kind kind, byte[] key, long version, byte @Nullable [] value) {
    /** What happened. */
    public enum Kind {
        /** Created or replaced (SET, CAS). */
        SET,
        DELETE,
        /** Deleted by the daemon at its deadline. */
        EXPIRED,
        /** Its owner, group or mode changed; value and version stay. */
        OWNER,
        /** Its deadline changed (expire, persist); value and version stay. */
        DEADLINE,
        /** No change the watch covers up to this version (the watch was idle). */
        PROGRESS
    }

    /** The key as UTF-8 text. */
    public String keyAsString() {
        return new String(key, StandardCharsets.UTF_8);
    }
}
