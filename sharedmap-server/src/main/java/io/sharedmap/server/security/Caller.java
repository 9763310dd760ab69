package io.sharedmap.server.security;

import java.util.Arrays;

/**
 * Who is on the other end of a connection, from the socket's peer credentials (SO_PEERCRED), never
 * from anything the client says: the user, its primary group, the groups it belongs to (primary and
 * supplementary, from the group database when the connection was accepted) and whether it may
 * change limits.
 *
 * <p>Checks follow file permissions: root passes every check; otherwise the owner bits apply when
 * the caller owns the key, else the group bits when the caller is in the key's group, else the
 * others' bits.
 */
public record Caller(long uid, long gid, long[] groups, boolean admin) {
    /** Root: never limited, passes every permission check (and used for in-process callers and tests). */
    public static final Caller ROOT = new Caller(0, 0, new long[] {0}, true);

    public boolean isRoot() {
        return uid == 0;
    }

    /** Owner of the keys this caller creates, with mode {@code 0666 & ~umask}. */
    public Owner newOwner(int umask) {
        return new Owner((int) uid, (int) gid, Owner.MODE_MASK & ~umask);
    }

    public boolean inGroup(long g) {
        if (g == gid) {
            return true;
        }
        for (long x : groups) {
            if (x == g) {
                return true;
            }
        }
        return false;
    }

    public boolean mayRead(Owner o) {
        return allowed(o, 4);
    }

    public boolean mayWrite(Owner o) {
        return allowed(o, 2);
    }

    private boolean allowed(Owner o, int bit) {
        if (isRoot()) {
            return true;
        }
        int shift = uid == o.uidLong() ? 6 : inGroup(o.gidLong()) ? 3 : 0;
        return ((o.mode() >> shift) & bit) != 0;
    }

    /** May change the key's mode: its owner, or root. */
    public boolean mayChmod(Owner o) {
        return isRoot() || uid == o.uidLong();
    }

    @Override
    public String toString() {
        return "uid " + uid + " gid " + gid;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Caller c
                && c.uid == uid
                && c.gid == gid
                && c.admin == admin
                && Arrays.equals(c.groups, groups);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(uid) * 31 + Long.hashCode(gid);
    }
}
