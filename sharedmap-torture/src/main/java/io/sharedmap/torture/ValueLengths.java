package io.sharedmap.torture;

import java.util.SplittableRandom;

/**
 * The lengths of the values the workers write, chosen so that the mapped store takes both of its
 * ways of rewriting a key, on the same keys, while other threads read them directly and through the
 * socket.
 *
 * <p>The store rewrites an entry <em>in place</em> (odd stamp, bytes, even stamp) when the new
 * entry has the old one's length, and otherwise writes a new entry, moves the key's slot to it and
 * retires the old one (dead stamp, bytes zeroed). An entry is {@code align8(18 + key length + value
 * length)} bytes (the entry layout of {@code io.sharedmap.os.store.StoreDescriptor}). So each key
 * has a length of its <em>own</em>, the same for every worker of the run (drawn from the run id and
 * the key's index), and a write takes:
 *
 * <ul>
 *   <li>45%: the key's own length: in place whenever the value it replaces had that length too;
 *   <li>15%: another length whose entry is as long as the own length's (up to 7 bytes shorter or
 *       longer): in place too, the value's length changing under the stamp (a shorter value leaves
 *       zeroed bytes behind);
 *   <li>40%: a length drawn afresh from the size distribution below: almost always another entry
 *       length, so a new entry and the old one retired; a DELETE retires it as well.
 * </ul>
 *
 * Sizes: own lengths are 16 B..1 KiB for seven keys in eight and 1..16 KiB for the eighth (a
 * rewrite in place of several pages); the corruption check's fresh lengths keep its distribution
 * (30 of the 40 points 16 B..1 KiB, 9 up to 16 KiB, 1 of 64..200 KiB, beyond the client's 64 KiB
 * buffer so that gather writes and multi-read values are exercised); the history keys' fresh
 * lengths are 8 B..2 KiB.
 */
final class ValueLengths {
    /** The store's entry header: stamp, value length, owner word, key length. */
    static final int ENTRY_HEADER_LENGTH = 18;

    /** How a write's length was chosen (counted by the workers, printed in the summary). */
    enum Choice {
        /** The key's own length. */
        OWN,
        /** Another length of the own length's entry. */
        SAME_ENTRY,
        /** A length drawn afresh. */
        FRESH
    }

    /** The rule in one line, for the summary. */
    static final String SUMMARY = "45% of writes at their key's own length and 15% at another length of the same"
            + " 8-byte-aligned entry (the store rewrites them in place), 40% at a length drawn afresh (a new entry, the"
            + " old one retired)";

    /** A chosen value length. */
    record Length(Choice choice, int bytes) {}

    private final int runId;

    ValueLengths(int runId) {
        this.runId = runId;
    }

    /**
     * The whole length of a corruption-check value (at least {@code overhead}, its header and
     * trailer) for key {@code k}.
     */
    Length corruption(int k, int keyLength, int overhead, SplittableRandom random) {
        int r = random.nextInt(1000);
        if (r < 600) {
            return family(ownLength(0x5EED_C0DEL, k, overhead + 16), keyLength, overhead, random, r < 450);
        }
        int payload;
        if (r < 900) {
            payload = random.nextInt(16, 1024);
        } else if (r < 990) {
            payload = random.nextInt(1024, 16 * 1024);
        } else {
            payload = random.nextInt(64 * 1024, 200 * 1024);
        }
        return new Length(Choice.FRESH, overhead + payload);
    }

    /** The length of a history value (at least {@code min}, its id) for history key {@code k}. */
    Length history(int k, int keyLength, int min, SplittableRandom random) {
        int r = random.nextInt(1000);
        if (r < 600) {
            return family(ownLength(0x4157_0123L, k, min + 8), keyLength, min, random, r < 450);
        }
        return new Length(Choice.FRESH, random.nextInt(min, 2048));
    }

    /** Key {@code k}'s own length in this run: 16 B..1 KiB above {@code base}, or 1..16 KiB for one key in eight. */
    private int ownLength(long kind, int k, int base) {
        SplittableRandom keyRandom = new SplittableRandom(kind * 0x9E37_79B9_7F4A_7C15L ^ (long) runId << 32 ^ k);
        return base + (k % 8 == 7 ? keyRandom.nextInt(1024, 16 * 1024) : keyRandom.nextInt(0, 1024));
    }

    /**
     * {@code own}, or (when not {@code exact}) another length of at least {@code min} whose entry
     * for a key of {@code keyLength} bytes is as long as {@code own}'s.
     */
    private static Length family(int own, int keyLength, int min, SplittableRandom random, boolean exact) {
        if (exact) {
            return new Length(Choice.OWN, own);
        }
        int entry = entryLength(keyLength, own);
        int longest = entry - ENTRY_HEADER_LENGTH - keyLength; // same entry: longest - 7 .. longest
        int shortest = Math.max(min, longest - 7);
        int other = random.nextInt(shortest, longest); // one of the others: skip own
        return new Length(Choice.SAME_ENTRY, other >= own ? other + 1 : other);
    }

    /** The store's entry length for a key and value of these lengths. */
    static int entryLength(int keyLength, int valueLength) {
        return (ENTRY_HEADER_LENGTH + keyLength + valueLength + 7) & ~7;
    }
}
