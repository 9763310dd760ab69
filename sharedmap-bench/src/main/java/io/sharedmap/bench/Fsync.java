package io.sharedmap.bench;

import java.util.Locale;

/** A durability setting and its equivalent for each target. */
public enum Fsync {
    /** Every acknowledged change is fsynced: sharedmap {@code always}, Redis {@code appendfsync always}. */
    ALWAYS("always", "always"),
    /** Written to the OS before the reply, fsynced about once a second: Redis {@code appendfsync everysec}. */
    INTERVAL("interval", "everysec"),
    /** In memory only: Redis {@code appendfsync no}. */
    NEVER("never", "no");

    private final String sharedMapMode;
    private final String redisAppendFsync;

    Fsync(String sharedMapMode, String redisAppendFsync) {
        this.sharedMapMode = sharedMapMode;
        this.redisAppendFsync = redisAppendFsync;
    }

    /** The daemon's {@code --durability} value. */
    public String sharedMapMode() {
        return sharedMapMode;
    }

    /** Redis's {@code appendfsync} value. */
    public String redisAppendFsync() {
        return redisAppendFsync;
    }

    static Fsync parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "always" -> ALWAYS;
            case "interval", "everysec" -> INTERVAL;
            case "never", "no" -> NEVER;
            default ->
                throw new IllegalArgumentException(
                        "unknown fsync mode '" + s + "'; expected always, interval or never");
        };
    }
}
