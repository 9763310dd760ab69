package io.sharedmap.server.engine;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Storage faults injected on purpose, for the reliability tests: the journal consults this before
 * each record write (into the mapping or with {@code write(2)}), each extent preallocation and each
 * fsync. Off unless the daemon's JVM has the system property {@code
 * sharedmap.faults}, a comma-separated list of:
 *
 * <ul>
 *   <li>{@code fail-write-after=N}: the N+1-th record write and every one after it fails with
 *       "No space left on device" (a disk that fills up);
 *   <li>{@code fail-preallocate-after=N}: the N+1-th zero-fill of a journal extent (the room
 *       records are copied into, see {@code SegmentAppender}) and every one after it fails with "No
 *       space left on device"; records then go through positional writes (which fail only with
 *       {@code fail-write-after});
 *   <li>{@code fail-fsync-after=N}: the N+1-th fsync and every one after it fails with an I/O error;
 *   <li>{@code delay-write-us=N}, {@code delay-fsync-us=N}: each write or fsync first waits N µs (a
 *       slow disk).
 * </ul>
 *
 * Not a configuration parameter: a test hook, documented in docs/RELIABILITY.md.
 */
final class Faults {
    static final String PROPERTY = "sharedmap.faults";
    static final Faults NONE = new Faults(-1, -1, -1, 0, 0);

    private final long failWriteAfter;
    private final long failFsyncAfter;
    private final long failPreallocateAfter;
    private final long delayWriteNs;
    private final long delayFsyncNs;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong fsyncs = new AtomicLong();
    private final AtomicLong preallocations = new AtomicLong();

    private Faults(
            long failWriteAfter, long failFsyncAfter, long failPreallocateAfter, long delayWriteUs, long delayFsyncUs) {
        this.failWriteAfter = failWriteAfter;
        this.failFsyncAfter = failFsyncAfter;
        this.failPreallocateAfter = failPreallocateAfter;
        this.delayWriteNs = TimeUnit.MICROSECONDS.toNanos(delayWriteUs);
        this.delayFsyncNs = TimeUnit.MICROSECONDS.toNanos(delayFsyncUs);
    }

    /** The faults named by the system property, or {@link #NONE}. */
    static Faults fromSystemProperty() {
        String spec = System.getProperty(PROPERTY, "").trim();
        if (spec.isEmpty()) {
            return NONE;
        }
        long failWrite = -1;
        long failFsync = -1;
        long failPreallocate = -1;
        long delayWrite = 0;
        long delayFsync = 0;
        for (String part : spec.split(",")) {
            String[] kv = part.trim().split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException(PROPERTY + ": '" + part + "' is not name=number");
            }
            long n = Long.parseLong(kv[1].trim());
            switch (kv[0].trim()) {
                case "fail-write-after" -> failWrite = n;
                case "fail-fsync-after" -> failFsync = n;
                case "fail-preallocate-after" -> failPreallocate = n;
                case "delay-write-us" -> delayWrite = n;
                case "delay-fsync-us" -> delayFsync = n;
                default -> throw new IllegalArgumentException(PROPERTY + ": unknown fault '" + kv[0] + "'");
            }
        }
        System.getLogger(Faults.class.getName()).log(System.Logger.Level.WARNING, "injecting storage faults: " + spec);
        return new Faults(failWrite, failFsync, failPreallocate, delayWrite, delayFsync);
    }

    void beforeWrite() throws IOException {
        if (this == NONE) {
            return;
        }
        pause(delayWriteNs);
        if (failWriteAfter >= 0 && writes.incrementAndGet() > failWriteAfter) {
            throw new IOException("No space left on device (injected by " + PROPERTY + ")");
        }
    }

    void beforeFsync() throws IOException {
        if (this == NONE) {
            return;
        }
        pause(delayFsyncNs);
        if (failFsyncAfter >= 0 && fsyncs.incrementAndGet() > failFsyncAfter) {
            throw new IOException("Input/output error on fsync (injected by " + PROPERTY + ")");
        }
    }

    void beforePreallocate() throws IOException {
        if (this == NONE) {
            return;
        }
        if (failPreallocateAfter >= 0 && preallocations.incrementAndGet() > failPreallocateAfter) {
            throw new IOException("No space left on device (preallocation, injected by " + PROPERTY + ")");
        }
    }

    private static void pause(long ns) {
        long deadline = System.nanoTime() + ns;
        for (long left = ns; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }
}
