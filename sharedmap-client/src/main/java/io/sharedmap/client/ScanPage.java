package io.sharedmap.client;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One page of a scan: up to the requested number of keys, in ascending unsigned byte order.
 *
 * @param entries the keys of this page (unmodifiable)
 * @param nextCursor pass to the next {@link SharedMap#scan} to continue; empty when the scan is done
 */
public record ScanPage(List<KeyInfo> entries, byte[] nextCursor) {

    /** Copies {@code entries} into an unmodifiable list; {@code nextCursor} must not be null. */
    public ScanPage {
        entries = List.copyOf(entries);
        Objects.requireNonNull(nextCursor, "nextCursor");
    }

    /** Whether this is the last page (the cursor is empty). */
    public boolean done() {
        return nextCursor.length == 0;
    }

    /** Equal when the entries and cursor bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ScanPage(List<KeyInfo> e, byte[] c) && e.equals(entries) && Arrays.equals(c, nextCursor);
    }

    @Override
    public int hashCode() {
        return 31 * entries.hashCode() + Arrays.hashCode(nextCursor);
    }

    @Override
    public String toString() {
        return "ScanPage[entries=" + entries + ", nextCursor=" + Bytes.describe(nextCursor) + "]";
    }
}
