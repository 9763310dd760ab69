package io.sharedmap.client;

/**
 * Three amounts: keys, bytes (keys plus values) and connections. As a principal's limits, each is
 * a number {@code >= 0}, {@link #NONE} or {@link #UNLIMITED}; as a change ({@link
 * SharedMap#setLimits}), each is a new limit or {@link #KEEP}; as usage, each is a count.
 */
public record Limits(long keys, long bytes, long connections) {
    /** In a principal's limits: this one has none (for a user, the default's applies if it has one). */
    public static final long NONE = -1;

    /** In a change: leave this limit as it is. */
    public static final long KEEP = -1;

    /** A limit never reached: exempts a user from the default's limit of that kind. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    /** No limit of any kind. */
    public static final Limits NO_LIMITS = new Limits(NONE, NONE, NONE);

    /** Nothing used. */
    public static final Limits ZERO = new Limits(0, 0, 0);
}
