package io.sharedmap.server;

import java.util.Arrays;

/**
 * How many connections an I/O thread expects in an fsync's batch in {@code always} mode, so that it
 * can wait briefly for the rest before it fsyncs (see {@link EventLoop}).
 *
 * <p>Why: with many writers each waiting for its own reply, one fsync answers the writers it
 * covered; while they receive their replies and send again, the loop already fsyncs the few that
 * arrived meanwhile. The writers then split into groups that take turns, each group's fsync covering
 * only part of them (measured: about 5 of 10 writers, or 2 of 4, per fsync). Waiting up to {@link
 * #WAIT_NS} for as many connections as recent batches had lets the groups merge: fewer fsyncs per
 * write, and more writes per second wherever an fsync costs more than a writer's turnaround. The
 * idea is PostgreSQL's {@code commit_delay} with {@code commit_siblings}, and MySQL's {@code
 * binlog_group_commit_sync_delay}, with the wait bounded by what recent batches showed rather than
 * by settings.
 *
 * <p>The target is the largest of the last {@value #REMEMBERED} batches that needed an fsync. A wait
 * that ends without reaching it sets every remembered batch to what it did reach, so when writers
 * leave, the next batches wait at most once for ones that no longer come. A lone writer's batches
 * have one connection, so it never waits.
 *
 * <p>Not thread-safe: each I/O thread has its own, used on its thread only.
 */
final class CommitGather {
    /** The longest wait for more connections before an fsync. */
    static final long WAIT_NS = 200_000;

    static final int REMEMBERED = 32;

    private final int[] recent = new int[REMEMBERED];
    private int next;

    /** The number of connections to wait for: the largest recent batch (0 before the first). */
    int target() {
        int max = 0;
        for (int n : recent) {
            max = Math.max(max, n);
        }
        return max;
    }

    /**
     * Records the connections a batch that needed an fsync had, once the wait for it ended; {@code
     * reachedTarget} false when the wait ran out first.
     */
    void record(int connections, boolean reachedTarget) {
        if (reachedTarget) {
            recent[next] = connections;
            next = (next + 1) % REMEMBERED;
        } else {
            Arrays.fill(recent, connections);
        }
    }
}
