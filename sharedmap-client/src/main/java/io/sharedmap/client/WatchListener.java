package io.sharedmap.client;

/**
 * Receives a watch's changes, on the watch's own thread, one at a time, in version order, each
 * exactly once (across daemon restarts too: the watch resumes from the last version it saw).
 */
public interface WatchListener {
    /** A change (or a {@link WatchEvent.Kind#PROGRESS}). An exception thrown here ends the watch. */
    void onEvent(WatchEvent event);

    /**
     * The changes since the last version seen are no longer kept (snapshots compacted the journal):
     * read the current state and watch again from {@code currentVersion}. The watch has ended.
     */
    default void onCompacted(long currentVersion) {}

    /** The watch ended for good: the daemon stayed away longer than the reconnect window, or the watch was refused. */
    default void onError(SharedMapException error) {}
}
