package io.sharedmap.server.resp;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Numbers as Redis reads and writes them in strings: a signed 64-bit integer is written in decimal
 * with an optional {@code -}, no {@code +}, no blanks and no leading zeros ("007" and "-0" are not
 * integers); a float as a decimal or exponent number, never {@code nan} or {@code inf}.
 */
public final class RespNumbers {
    /** The significant digits of an INCRBYFLOAT result (Redis prints a long double with 17). */
    private static final MathContext FLOAT_DIGITS = new MathContext(17, RoundingMode.HALF_EVEN);

    private RespNumbers() {}

    /** {@code b[off, off + len)} as a strict decimal integer, or {@code otherwise}. */
    public static long parseLong(byte[] b, int off, int len, long otherwise) {
        if (len <= 0 || len > 20) {
            return otherwise;
        }
        int i = off;
        int end = off + len;
        boolean negative = b[i] == '-';
        if (negative) {
            i++;
            if (i == end) {
                return otherwise;
            }
        }
        if (b[i] == '0') {
            return i + 1 == end && !negative ? 0 : otherwise;
        }
        long v = 0; // accumulated negatively: Long.MIN_VALUE has no positive counterpart
        for (; i < end; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return otherwise;
            }
            if (v < (Long.MIN_VALUE + d) / 10) {
                return otherwise;
            }
            v = v * 10 - d;
        }
        if (negative) {
            return v;
        }
        return v == Long.MIN_VALUE ? otherwise : -v;
    }

    /** The whole array as a strict decimal integer, or null. */
    public static @Nullable Long parseLong(byte[] b) {
        long sentinel = Long.MIN_VALUE;
        long v = parseLong(b, 0, b.length, sentinel);
        if (v == sentinel && !"-9223372036854775808".equals(new String(b, StandardCharsets.US_ASCII))) {
            return null;
        }
        return v;
    }

    /** A float argument or stored value (Redis's {@code strtold} rules, without hex, nan and inf); null if not one. */
    public static @Nullable BigDecimal parseFloat(byte[] b) {
        if (b.length == 0 || b.length > 5000) {
            return null;
        }
        for (byte c : b) {
            boolean ok = c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
            if (!ok) {
                return null;
            }
        }
        try {
            BigDecimal v = new BigDecimal(new String(b, StandardCharsets.US_ASCII));
            return inRange(v) ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Whether {@code b} spells an infinity as C's {@code strtold} reads one ({@code inf} or {@code
     * infinity}, any case, with an optional sign): a float Redis parses, whose sum cannot be stored.
     */
    public static boolean isInfinity(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        if (s.startsWith("+") || s.startsWith("-")) {
            s = s.substring(1);
        }
        return s.equals("inf") || s.equals("infinity");
    }

    /** Whether {@code v} is within a long double's range (Redis's float type), so its decimal form is bounded. */
    public static boolean inRange(BigDecimal v) {
        long exponent = (long) v.precision() - v.scale() - 1;
        return v.signum() == 0 || exponent >= -4931 && exponent <= 4931;
    }

    /** An INCRBYFLOAT result as Redis writes it: 17 significant digits, no exponent, no trailing zeros. */
    public static String formatFloat(BigDecimal v) {
        BigDecimal r = v.round(FLOAT_DIGITS).stripTrailingZeros();
        String s = r.toPlainString();
        return s.equals("-0") ? "0" : s;
    }
}
