package io.sharedmap.client;

/**
 * A key's owner, group and mode, as a file's: read and write bits for owner, group and others
 * ({@code 0666} at most).
 *
 * @param uid the owner's user id
 * @param gid the group id
 * @param mode e.g. {@code 0644}
 */
public record KeyOwner(long uid, long gid, int mode) {
    /** {@code rw-r--r--} style. */
    public String modeString() {
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
