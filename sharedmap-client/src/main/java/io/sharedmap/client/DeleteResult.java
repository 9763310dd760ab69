package io.sharedmap.client;

/**
 * What a {@link SharedMap#delete} did.
 *
 * @param outcome {@link Outcome#DELETED}, {@link Outcome#NOT_FOUND} or {@link Outcome#CONFLICT}
 * @param version for DELETED the version of the removed entry; for CONFLICT the key's current
 *     version; for NOT_FOUND 0
 */
public record DeleteResult(Outcome outcome, long version) {

    /** The three outcomes of a delete. */
    public enum Outcome {
        /** The entry was removed. */
        DELETED,
        /** There was no entry for the key. */
        NOT_FOUND,
        /** A conditional delete found a different version; nothing was removed. */
        CONFLICT
    }

    /** Whether the entry was removed. */
    public boolean deleted() {
        return outcome == Outcome.DELETED;
    }
}
