package io.sharedmap.client;

/**
 * Ends a watch's {@link java.util.concurrent.Flow.Publisher} ({@link SharedMap#watchPublisher}) whose
 * history is no longer kept: read the current state, then watch again from {@link #currentVersion}.
 */
public final class HistoryCompactedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final long currentVersion;

    HistoryCompactedException(long currentVersion) {
        super("the watch's history was compacted away; read the current state and watch again from version "
                + currentVersion);
        this.currentVersion = currentVersion;
    }

    /** The version to watch from after reading the current state. */
    public long currentVersion() {
        return currentVersion;
    }
}
