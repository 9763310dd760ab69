package io.sharedmap.bench;

import java.util.Locale;

/**
 * The operations one worker process performs, per {@code --ops N}: as in the shared_map report,
 * {@link #RW} is N reads <em>and</em> N writes (alternating write, read), so it counts 2N
 * operations.
 */
public enum Mix {
    READ(1),
    WRITE(1),
    RW(2),
    PING(1);

    private final int opsPerUnit;

    Mix(int opsPerUnit) {
        this.opsPerUnit = opsPerUnit;
    }

    /** Operations a worker performs for {@code --ops n}. */
    long totalOps(long n) {
        return n * opsPerUnit;
    }

    /** Lower-case name as used on the command line and in results. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Mix parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "read", "get" -> READ;
            case "write", "set" -> WRITE;
            case "rw", "read+write", "mixed" -> RW;
            case "ping" -> PING;
            default -> throw new IllegalArgumentException("unknown mix '" + s + "'; expected read, write or rw");
        };
    }
}
