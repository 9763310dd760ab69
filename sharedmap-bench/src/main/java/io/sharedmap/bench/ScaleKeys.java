package io.sharedmap.bench;

import java.nio.charset.StandardCharsets;

/**
 * The keys and values of the {@code scale} workload, computed from a key's index so that nothing
 * of an N-key data set is held in memory (10,000,000 keys as {@code byte[]} would need ~400 MB in
 * every worker) and every key has its own value, which a check after a restart can recompute.
 *
 * <ul>
 *   <li>Key {@code i}: {@code i} in decimal, zero-padded to {@code keySize} digits ({@code
 *       0000012345} for the default 10 bytes).
 *   <li>Value {@code i}: {@code valueSize} printable bytes from a 64-bit mix of {@code i}, six bits
 *       a byte, the same on every run and in every process; about 30 ns for 100 bytes.
 * </ul>
 *
 * <p>An instance fills one reusable key and one reusable value array, for a worker's timed loop,
 * whose calls are synchronous (the client is done with the arrays when the call returns); {@link
 * #newKey} and {@link #newValue} allocate, for pipelines, which keep the arrays until they are
 * synced.
 */
final class ScaleKeys {
    /** The printable bytes a value is made of: 64 of them, one per six bits. */
    private static final byte[] ALPHABET =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".getBytes(StandardCharsets.US_ASCII);

    private final byte[] key;
    private final byte[] value;

    ScaleKeys(int keySize, int valueSize) {
        this.key = new byte[keySize];
        this.value = new byte[valueSize];
    }

    /** The smallest key size whose decimal keys tell {@code keys} keys apart. */
    static int minKeySize(long keys) {
        return Long.toString(Math.max(0, keys - 1)).length();
    }

    /** Key {@code i} in this instance's array (overwritten by the next call). */
    byte[] key(long i) {
        fillKey(key, i);
        return key;
    }

    /** Value {@code i} in this instance's array (overwritten by the next call). */
    byte[] value(long i) {
        fillValue(value, i);
        return value;
    }

    static byte[] newKey(long i, int keySize) {
        byte[] k = new byte[keySize];
        fillKey(k, i);
        return k;
    }

    static byte[] newValue(long i, int valueSize) {
        byte[] v = new byte[valueSize];
        fillValue(v, i);
        return v;
    }

    /** The key's index, or -1 if {@code k} is not a key of this workload. */
    static long index(byte[] k) {
        long i = 0;
        for (byte b : k) {
            if (b < '0' || b > '9' || i > Long.MAX_VALUE / 10 - 10) {
                return -1;
            }
            i = i * 10 + (b - '0');
        }
        return k.length == 0 ? -1 : i;
    }

    private static void fillKey(byte[] k, long i) {
        long n = i;
        for (int p = k.length - 1; p >= 0; p--) {
            k[p] = (byte) ('0' + n % 10);
            n /= 10;
        }
        if (n != 0) {
            throw new IllegalArgumentException("key " + i + " does not fit in " + k.length + " digits");
        }
    }

    private static void fillValue(byte[] v, long i) {
        long x = 0;
        for (int p = 0; p < v.length; p++) {
            int bit = p % 10; // ten 6-bit letters per 64-bit word
            if (bit == 0) {
                x = mix(i * 0x9E3779B97F4A7C15L + p);
            }
            v[p] = ALPHABET[(int) (x >>> (6 * bit)) & 63];
        }
    }

    /** SplitMix64's finaliser: every input bit changes about half the output bits. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
