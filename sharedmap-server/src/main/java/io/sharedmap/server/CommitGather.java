package io.sharedmap.server;

import java.util.Arrays;

/**
 * How many writers (connections with a change to make durable) an I/O thread expects in an fsync's
 * batch in {@code always} mode, so that it can wait briefly for the rest before it fsyncs (see
 * {@link EventLoop}).
 *
 * <p>Why: with many writers each waiting for its own reply, one fsync answers the writers it
 * covered; while they receive their replies and send again, the loop already fsyncs the few that
 * arrived meanwhile. The writers then split into groups that take turns, each group's fsync covering
 * only part of them (measured: about 5 of 10 writers, or 2 of 4, per fsync). Waiting up to {@code
 * --gather-us} for as many writers as recent batches had lets the groups merge: fewer fsyncs per
 * write, and more writes per second wherever an fsync costs more than a writer's turnaround. The
 * idea is PostgreSQL's {@code commit_delay} with {@code commit_siblings}, and MySQL's {@code
 * binlog_group_commit_sync_delay}, with the wait bounded by what recent batches showed rather than
 * by settings.
 *
 * <p>The target is the largest number of writers among the last {@value #REMEMBERED} batches this
 * loop was about to fsync itself. A wait that runs out of time short of it sets every remembered
 * batch to what it did reach, so when writers leave, the next batches wait at most once for ones
 * that no longer come. A lone writer's batches have one writer, so it never waits, whatever readers
 * share its loop.
 *
 * <p>Not thread-safe: each I/O thread has its own, used on its thread only.
 */
final class CommitGather {
    static final int REMEMBERED = 32;

    private final long waitNs;

    private final int[] recent = new int[REMEMBERED];
    private int next;

    /** @param waitNs the longest wait for more writers before an fsync ({@code --gather-us}), positive */
    CommitGather(long waitNs) {
        if (waitNs <= 0) {
            throw new IllegalArgumentException("gather wait " + waitNs + " ns is not positive");
        }
        this.waitNs = waitNs;
    }

    /** The longest wait for more writers before an fsync, in nanoseconds. */
    long waitNs() {
        return waitNs;
    }

    /** The number of writers to wait for: the largest recent batch's (0 before the first). */
    int target() {
        int max = 0;
        for (int n : recent) {
            max = Math.max(max, n);
        }
        return max;
    }

    /**
     * Records the writers (connections with a change to make durable) of a batch this loop was
     * about to fsync itself, once any wait for more ended; {@code waitRanOut} when the wait ended
     * because its time was up, short of the target.
     */
    void record(int writers, boolean waitRanOut) {
        if (waitRanOut) {
            Arrays.fill(recent, writers);
        } else {
            recent[next] = writers;
            next = (next + 1) % REMEMBERED;
        }
    }
}
