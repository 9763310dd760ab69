package io.sharedmap.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One key found by a scan, with its entry's version and value length at the moment the page was
 * built. Fetch the value with {@link SharedMap#get(byte[])}.
 *
 * <p>The array is not copied: it belongs to whoever holds this record.
 *
 * @param key the key bytes
 * @param version the entry's version
 * @param valueLength the value's length in bytes
 * @param owner the key's owner, group and mode, when the scan asked for them ({@link
 *     SharedMap#keysWithOwners}); else null
 */
public record KeyInfo(
        byte[] key, long version, int valueLength, @Nullable KeyOwner owner) {
    /** A key without its owner (what a plain scan returns). */
    public KeyInfo(byte[] key, long version, int valueLength) {
        this(key, version, valueLength, null);
    }

    /** The key decoded as UTF-8 (malformed input is replaced, never an error). */
    public String keyAsString() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** Equal when the key bytes, versions and value lengths are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof KeyInfo(byte[] k, long v, int len, KeyOwner w)
                && v == version
                && len == valueLength
                && Arrays.equals(k, key)
                && Objects.equals(w, owner);
    }

    @Override
    public int hashCode() {
        return (31 * Arrays.hashCode(key) + Long.hashCode(version)) * 31 + valueLength;
    }

    @Override
    public String toString() {
        return "KeyInfo[key=" + Bytes.describe(key) + ", version=" + version + ", valueLength=" + valueLength
                + (owner != null ? ", owner=" + owner : "") + "]";
    }
}
