package io.sharedmap.server.security;

/**
 * Who owns a key and who may read and write it, as for a file: owner uid, group gid (both unsigned
 * 32-bit, kept in an {@code int}) and a mode of read and write bits for owner, group and others
 * ({@code 0666} at most; there are no execute bits).
 */
public record Owner(int uid, int gid, int mode) {
    public static final int READ_OWNER = 0400;
    public static final int WRITE_OWNER = 0200;
    public static final int MODE_MASK = 0666;

    /**
     * The owner of keys written before keys had owners (format 1 data): root, group root, mode 0666,
     * so everything that worked before keeps working until an administrator narrows it.
     */
    public static final Owner LEGACY = new Owner(0, 0, 0666);

    public Owner {
        if ((mode & ~MODE_MASK) != 0) {
            throw new IllegalArgumentException(String.format("mode 0%o has bits outside 0666", mode));
        }
    }

    public long uidLong() {
        return Integer.toUnsignedLong(uid);
    }

    public long gidLong() {
        return Integer.toUnsignedLong(gid);
    }

    public Owner withMode(int newMode) {
        return new Owner(uid, gid, newMode);
    }

    /** {@code rw-r--r--} style, without a file-type character. */
    public static String modeString(int mode) {
        StringBuilder b = new StringBuilder(9);
        for (int shift = 6; shift >= 0; shift -= 3) {
            int bits = mode >> shift;
            b.append((bits & 4) != 0 ? 'r' : '-')
                    .append((bits & 2) != 0 ? 'w' : '-')
                    .append('-');
        }
        return b.toString();
    }
}
