package io.sharedmap.server.resp;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A fixed set of lower-case ASCII names (the commands a server has), looked up by the bytes a
 * client sent, ignoring ASCII case, without making a String: a command's name is resolved on every
 * request, and finding the table's own String (whose hash is cached and which {@code equals} the
 * {@code switch} labels at once) costs no allocation.
 *
 * <p>Immutable, so safe to share between threads. Open addressing with linear probing over a table
 * at most half full.
 */
public final class AsciiNames {
    private final String[] names;
    private final byte[][] bytes;
    private final int mask;
    private final int longest;

    /**
     * @throws IllegalArgumentException if a name is not lower-case printable ASCII without spaces
     */
    public AsciiNames(Collection<String> all) {
        int size = Integer.highestOneBit(Math.max(4, all.size() * 2 - 1)) << 1;
        names = new String[size];
        bytes = new byte[size][];
        mask = size - 1;
        int max = 0;
        for (String n : all) {
            if (n.isEmpty()
                    || !n.equals(n.toLowerCase(Locale.ROOT))
                    || !n.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("not a lower-case ASCII name: '" + n + "'");
            }
            byte[] b = n.getBytes(StandardCharsets.US_ASCII);
            int i = hash(b) & mask;
            while (names[i] != null) {
                if (names[i].equals(n)) {
                    break;
                }
                i = (i + 1) & mask;
            }
            names[i] = n;
            bytes[i] = b;
            max = Math.max(max, b.length);
        }
        longest = max;
    }

    /** The name that {@code b} spells in any ASCII case, or null when the set has none such. */
    public @Nullable String find(byte[] b) {
        if (b.length == 0 || b.length > longest) {
            return null;
        }
        for (int i = hash(b) & mask; names[i] != null; i = (i + 1) & mask) {
            if (sameIgnoringCase(bytes[i], b)) {
                return names[i];
            }
        }
        return null;
    }

    private static int lower(byte c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }

    private static int hash(byte[] b) {
        int h = 0;
        for (byte c : b) {
            h = 31 * h + lower(c);
        }
        return h ^ (h >>> 16);
    }

    private static boolean sameIgnoringCase(byte[] lowerName, byte[] b) {
        if (lowerName.length != b.length) {
            return false;
        }
        for (int i = 0; i < b.length; i++) {
            if (lowerName[i] != lower(b[i])) {
                return false;
            }
        }
        return true;
    }
}
