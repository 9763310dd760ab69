package io.sharedmap.server.engine;

import java.util.Arrays;

/** A key in the index: immutable bytes, ordered by unsigned byte comparison (the SCAN order). */
final class Key implements Comparable<Key> {
    final byte[] bytes;
    private final int hash;

    /** Takes ownership of {@code bytes}; the caller must not change them afterwards. */
    Key(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    boolean startsWith(byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The key for a message: printable ASCII as is, other bytes as \xNN, at most 100 bytes shown. */
    static String printable(byte[] key) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(key.length, 100); i++) {
            int c = key[i] & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        return key.length > 100 ? b + "..." : b.toString();
    }

    @Override
    public int compareTo(Key o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Key k && hash == k.hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
