package io.sharedmap.tests.clients;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Values the test writers store: {@code <tag>:<seq>:} followed by filler derived from tag, seq and length,
 * to a chosen length. A reader can tell exactly which write a value came from and whether any byte
 * of it is wrong (torn, mixed with another write, or never written).
 */
public final class Values {
    private Values() {}

    /** Which write a value came from. */
    public record Origin(String tag, long seq) {}

    public static byte[] make(String tag, long seq, int size) {
        byte[] head = (tag + ":" + seq + ":").getBytes(StandardCharsets.US_ASCII);
        byte[] v = Arrays.copyOf(head, Math.max(size, head.length));
        long x = seed(tag, seq, v.length);
        for (int i = head.length; i < v.length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            v[i] = (byte) ('a' + Math.floorMod(x, 26));
        }
        return v;
    }

    /** The write that produced {@code value}, or null when the value is not exactly one of ours. */
    public static Origin parse(byte[] value) {
        String s = new String(value, 0, Math.min(value.length, 200), StandardCharsets.US_ASCII);
        int first = s.indexOf(':');
        int second = first < 0 ? -1 : s.indexOf(':', first + 1);
        if (second < 0) {
            return null;
        }
        try {
            String tag = s.substring(0, first);
            long seq = Long.parseLong(s.substring(first + 1, second));
            return Arrays.equals(make(tag, seq, value.length), value) ? new Origin(tag, seq) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The length is part of the seed, so a truncated or extended value never matches. */
    private static long seed(String tag, long seq, int length) {
        long h = 0x9E3779B97F4A7C15L ^ seq ^ ((long) length << 40);
        for (int i = 0; i < tag.length(); i++) {
            h = h * 31 + tag.charAt(i);
        }
        return h == 0 ? 1 : h;
    }
}
