package io.sharedmap.server.resp;

import java.util.Arrays;

/**
 * Redis's glob patterns over bytes, for {@code SCAN MATCH} and {@code KEYS}: {@code *} any run of
 * bytes, {@code ?} one byte, {@code [abc]}, {@code [a-z]}, {@code [^a]} a class (an unclosed class
 * runs to the end of the pattern), {@code \x} the byte {@code x}. Matching backtracks only to the
 * last {@code *}, so it takes time proportional to pattern length times key length at worst.
 */
public final class RespGlob {
    private RespGlob() {}

    /** Whether {@code key} matches {@code pattern}. */
    public static boolean matches(byte[] pattern, byte[] key) {
        int p = 0;
        int k = 0;
        int starP = -1;
        int starK = -1;
        while (k < key.length) {
            if (p < pattern.length) {
                byte c = pattern[p];
                if (c == '*') {
                    while (p < pattern.length && pattern[p] == '*') {
                        p++;
                    }
                    starP = p;
                    starK = k;
                    continue;
                }
                int next = matchOne(pattern, p, key[k]);
                if (next >= 0) {
                    p = next;
                    k++;
                    continue;
                }
            }
            if (starP < 0) {
                return false;
            }
            p = starP;
            k = ++starK;
        }
        while (p < pattern.length && pattern[p] == '*') {
            p++;
        }
        return p == pattern.length;
    }

    /** The pattern position after the item at {@code p} if it matches byte {@code b}, else -1. */
    private static int matchOne(byte[] pattern, int p, byte b) {
        byte c = pattern[p];
        if (c == '?') {
            return p + 1;
        }
        if (c == '\\' && p + 1 < pattern.length) {
            return pattern[p + 1] == b ? p + 2 : -1;
        }
        if (c != '[') {
            return c == b ? p + 1 : -1;
        }
        int i = p + 1;
        boolean not = i < pattern.length && pattern[i] == '^';
        if (not) {
            i++;
        }
        boolean match = false;
        while (i < pattern.length && pattern[i] != ']') {
            if (pattern[i] == '\\' && i + 1 < pattern.length) {
                match |= pattern[i + 1] == b;
                i += 2;
            } else if (i + 2 < pattern.length && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
                int lo = pattern[i] & 0xff;
                int hi = pattern[i + 2] & 0xff;
                if (lo > hi) {
                    int t = lo;
                    lo = hi;
                    hi = t;
                }
                int v = b & 0xff;
                match |= v >= lo && v <= hi;
                i += 3;
            } else {
                match |= pattern[i] == b;
                i++;
            }
        }
        int after = i < pattern.length ? i + 1 : i;
        return match != not ? after : -1;
    }

    /**
     * The literal bytes every match starts with: the pattern up to its first {@code *}, {@code ?} or
     * {@code [}, with escapes resolved. A scan need only walk the keys under this prefix.
     */
    public static byte[] literalPrefix(byte[] pattern) {
        byte[] out = new byte[pattern.length];
        int n = 0;
        for (int i = 0; i < pattern.length; i++) {
            byte c = pattern[i];
            if (c == '*' || c == '?' || c == '[') {
                break;
            }
            if (c == '\\') {
                if (i + 1 == pattern.length) {
                    break;
                }
                c = pattern[++i];
            }
            out[n++] = c;
        }
        return Arrays.copyOf(out, n);
    }
}
