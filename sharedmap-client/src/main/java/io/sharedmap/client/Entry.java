package io.sharedmap.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A value read from the map, with the version of the change that wrote it. Pass the version to
 * {@link SharedMap#compareAndSet} to replace exactly this value.
 *
 * <p>The array is not copied: it belongs to whoever holds this record.
 *
 * @param value the stored bytes (possibly empty)
 * @param version the entry's version, {@code > 0}
 */
public record Entry(byte[] value, long version) {

    /** The value decoded as UTF-8 (malformed input is replaced, never an error). */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** Equal when the versions and the value bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Entry(byte[] v, long ver) && ver == version && Arrays.equals(v, value);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(version) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Entry[version=" + version + ", value=" + Bytes.describe(value) + "]";
    }
}
