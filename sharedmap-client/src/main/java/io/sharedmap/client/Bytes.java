package io.sharedmap.client;

import java.nio.charset.StandardCharsets;

/** Helpers for byte arrays in messages and {@code toString}s. */
final class Bytes {
    static final byte[] EMPTY = new byte[0];

    /** Longest prefix of an array shown by {@link #describe}. */
    private static final int SHOWN = 32;

    private Bytes() {}

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A short readable form: the text if it is printable ASCII, else hex; long arrays are cut. */
    static String describe(byte[] bytes) {
        int n = Math.min(bytes.length, SHOWN);
        boolean printable = true;
        for (int i = 0; i < n && printable; i++) {
            printable = bytes[i] >= 0x20 && bytes[i] < 0x7F;
        }
        StringBuilder sb = new StringBuilder();
        if (printable) {
            sb.append('"')
                    .append(new String(bytes, 0, n, StandardCharsets.US_ASCII))
                    .append('"');
        } else {
            sb.append("0x");
            for (int i = 0; i < n; i++) {
                sb.append(Character.forDigit((bytes[i] >> 4) & 0xF, 16)).append(Character.forDigit(bytes[i] & 0xF, 16));
            }
        }
        if (bytes.length > n) {
            sb.append("...(").append(bytes.length).append(" bytes)");
        }
        return sb.toString();
    }
}
