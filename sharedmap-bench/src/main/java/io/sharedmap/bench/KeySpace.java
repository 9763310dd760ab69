package io.sharedmap.bench;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** The keys and the value a workload uses, computed up front so the timed loop allocates nothing. */
final class KeySpace {
    private KeySpace() {}

    /** Key {@code i} of a preloaded keyspace: {@code key:} and the index, zero-padded to 10 digits. */
    static byte[] key(int i) {
        return String.format("key:%010d", i).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[][] keys(int n) {
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = key(i);
        }
        return keys;
    }

    /** A value of {@code size} printable pseudo-random bytes, the same for the same seed. */
    static byte[] value(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] v = new byte[size];
        for (int i = 0; i < size; i++) {
            v[i] = (byte) ('a' + r.nextInt(26));
        }
        return v;
    }

    static byte[] seedKey() {
        return Workload.SEED_KEY.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] seedValue() {
        return Workload.SEED_VALUE.getBytes(StandardCharsets.US_ASCII);
    }
}
