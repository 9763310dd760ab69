package io.sharedmap.client;

import io.sharedmap.protocol.LimitCodec;
import java.util.Objects;

/**
 * Whose limits: a user (by uid), a group (by gid), the default (each user without limits of its
 * own), or the default group (all of those users together). See docs/SECURITY.md.
 *
 * @param kind which of the four
 * @param id the uid or gid; 0 for {@link #DEFAULT} and {@link #DEFAULT_GROUP}
 */
public record Principal(Kind kind, long id) {
    /** The largest uid or gid ({@code 0xFFFFFFFE}; {@code 0xFFFFFFFF} means "none" to the kernel). */
    public static final long MAX_ID = 0xFFFF_FFFEL;

    /** The limits of each user without limits of its own. */
    public static final Principal DEFAULT = new Principal(Kind.DEFAULT, 0);

    /** The limits of all users without limits of their own, together. */
    public static final Principal DEFAULT_GROUP = new Principal(Kind.DEFAULT_GROUP, 0);

    /** The four kinds of principal, with their names on the wire. */
    public enum Kind {
        USER("user"),
        GROUP("group"),
        DEFAULT("default"),
        DEFAULT_GROUP("default-group");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** {@code user}, {@code group}, {@code default} or {@code default-group}. */
        public String label() {
            return label;
        }
    }

    public Principal {
        Objects.requireNonNull(kind, "kind");
        if (id < 0 || id > MAX_ID) {
            throw new IllegalArgumentException("id " + id + " is outside 0.." + MAX_ID);
        }
        if ((kind == Kind.DEFAULT || kind == Kind.DEFAULT_GROUP) && id != 0) {
            throw new IllegalArgumentException(kind.label + " has no id, but got " + id);
        }
    }

    /** The user with this uid. */
    public static Principal user(long uid) {
        return new Principal(Kind.USER, uid);
    }

    /** The group with this gid. */
    public static Principal group(long gid) {
        return new Principal(Kind.GROUP, gid);
    }

    /** {@code user:UID}, {@code group:GID}, {@code default} or {@code default-group}. */
    public String wire() {
        return kind == Kind.DEFAULT || kind == Kind.DEFAULT_GROUP ? kind.label : kind.label + ":" + id;
    }

    /**
     * Parses {@link #wire()}'s form.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Principal parse(String s) {
        LimitCodec.Principal p = LimitCodec.Principal.parse(s); // the one parser of the wire form
        return new Principal(Kind.valueOf(p.kind().name()), p.id());
    }

    @Override
    public String toString() {
        return wire();
    }
}
