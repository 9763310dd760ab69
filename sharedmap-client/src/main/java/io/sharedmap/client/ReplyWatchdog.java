package io.sharedmap.client;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Gives up on connections whose daemon does not answer: the one thread per process that enforces
 * {@link Options#replyTimeout}. A {@code SocketChannel} ignores {@code SO_TIMEOUT}, and a timed
 * wait would read the clock around every wait and re-arm it for every partial read; so the thread
 * that waits does no more than mark the wait, and this watchdog closes the socket of a wait that
 * lasted too long, which makes the waiting read or write (or the blocked connect) throw.
 *
 * <h2>Design</h2>
 *
 * <p><b>The fast path.</b> A {@link Connection} about to wait on the daemon (sending a request,
 * reading its reply, connecting) writes a new odd number to its volatile wait state; when the wait
 * ends it swaps in the next even number with one {@code compareAndExchange}. No clock read, no
 * allocation, no system call; a reply already buffered costs nothing.
 *
 * <p><b>The watchdog.</b> A daemon thread, {@value #THREAD_NAME}, started with the first connection
 * that has a timeout, wakes every tick (a sixteenth of the shortest timeout watched, within {@link
 * #MIN_TICK_NS}..{@link #MAX_TICK_NS}), reads every watched connection's wait state and notes when it
 * first saw each odd number. A number seen for at least the connection's timeout is claimed with
 * {@code compareAndSet(number, EXPIRED)}, and the socket is closed. A wait therefore ends no earlier
 * than its timeout after it began, and at most about two ticks later (plus scheduling delays).
 *
 * <p><b>The race.</b> The waiting thread's {@code compareAndExchange} and the watchdog's {@code
 * compareAndSet} decide who wins. If the watchdog claimed the wait, the connection is closed and never
 * pooled again, even when the reply arrived in time to be used (it is then returned): so a late close
 * never hits a later wait or another caller. If the waiting thread ended the wait first, the watchdog's
 * claim fails and it leaves the connection alone.
 *
 * <p><b>Registry.</b> Connections register when opened and leave when closed. The registry holds them
 * weakly (a waiting connection is reachable from its waiting thread), so the registry keeps no
 * unclosed, unreachable connection alive (its descriptors, three with {@code SpinChannel}'s
 * selector, are the caller's leak, as with any unclosed channel). Parked with no deadline while
 * nothing is watched.
 */
final class ReplyWatchdog {
    /** The process-wide watchdog. */
    static final ReplyWatchdog SHARED = new ReplyWatchdog();

    static final String THREAD_NAME = "sharedmap-reply-watchdog";
    /** Shortest pause between checks: keeps a short timeout from waking the thread too often. */
    static final long MIN_TICK_NS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Longest pause between checks: a default 30 s timeout is checked every second. */
    static final long MAX_TICK_NS = TimeUnit.SECONDS.toNanos(1);

    private static final System.Logger LOG = System.getLogger(ReplyWatchdog.class.getName());

    private final Set<Watch> watched = ConcurrentHashMap.newKeySet();
    /** The watchdog's current pause between checks; 0 while it parks with no deadline (nothing watched). */
    private volatile long tickNs;
    /** Started on the first {@link #watch}. */
    @GuardedBy("this")
    private @Nullable Thread thread;

    /** One watched connection, with the watchdog's notes about it (touched by the watchdog thread only). */
    static final class Watch extends WeakReference<Connection> {
        final long timeoutNs;
        /** The wait state last seen; an odd value is a wait in progress. */
        private long seenState;
        /** When {@link #seenState} was first seen, by the watchdog's clock. */
        private long seenSinceNs;

        private Watch(Connection c, long timeoutNs) {
            super(c);
            this.timeoutNs = timeoutNs;
        }
    }

    /** Watches {@code c}, whose waits may last {@code timeoutNs > 0}; pass the result to {@link #unwatch}. */
    Watch watch(Connection c, long timeoutNs) {
        Watch w = new Watch(c, timeoutNs);
        watched.add(w);
        Thread t = started();
        long tick = tickNs;
        if (tick == 0 || tickFor(timeoutNs) < tick) {
            LockSupport.unpark(t); // parked for good, or too long for this timeout: check now and re-plan
        }
        return w;
    }

    /** Stops watching; idempotent. */
    void unwatch(Watch w) {
        watched.remove(w);
    }

    /** Open connections to {@code socket} that are watched (tests: nothing leaks). */
    int watchedConnections(Path socket) {
        int n = 0;
        for (Watch w : watched) {
            Connection c = w.get();
            if (c != null && c.socket().equals(socket)) {
                n++;
            }
        }
        return n;
    }

    private synchronized Thread started() {
        if (thread == null) {
            thread = Thread.ofPlatform().daemon().name(THREAD_NAME).start(this::run);
        }
        return thread;
    }

    private static long tickFor(long timeoutNs) {
        return Math.clamp(timeoutNs / 16, MIN_TICK_NS, MAX_TICK_NS);
    }

    private void run() {
        while (true) {
            long now = System.nanoTime();
            long shortest = Long.MAX_VALUE;
            for (Watch w : watched) {
                Connection c = w.get();
                if (c == null) {
                    watched.remove(w); // never closed, and unreachable: no thread waits on it
                    continue;
                }
                shortest = Math.min(shortest, w.timeoutNs);
                try {
                    check(w, c, now);
                } catch (RuntimeException e) { // keep watching the others
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "reply watchdog: checking a connection to " + c.socket() + " failed",
                            e);
                }
            }
            if (shortest == Long.MAX_VALUE) {
                tickNs = 0;
                if (watched.isEmpty()) { // read after publishing 0: a watch() that added meanwhile sees 0 and unparks
                    LockSupport.park(this);
                }
            } else {
                long tick = tickFor(shortest);
                tickNs = tick;
                LockSupport.parkNanos(this, tick);
            }
        }
    }

    private static void check(Watch w, Connection c, long now) {
        long state = c.waitState();
        if ((state & 1) == 0 || state != w.seenState) {
            w.seenState = state; // not waiting, or a new wait: its clock starts now (never before the wait began)
            w.seenSinceNs = now;
        } else if (now - w.seenSinceNs >= w.timeoutNs) {
            c.expire(state);
        }
    }
}
