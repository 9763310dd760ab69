package io.sharedmap.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a client behaves when its daemon goes away, and how it waits for replies. The default
 * recovers: calls wait up to {@link #reconnectWindow()} for the daemon to come back, and changes
 * whose replies were lost are resent and applied exactly once; and a call gives up on a daemon that
 * is there but does not answer after {@link #replyTimeout()} (30 s). Immutable; each method
 * returns a changed copy.
 */
public final class Options {
    /** The default reconnect window: long enough for a supervisor or systemd to restart the daemon. */
    public static final Duration DEFAULT_RECONNECT_WINDOW = Duration.ofSeconds(30);

    /**
     * The default spin time,
     * 10 µs: enough for a reply from an idle daemon on the same machine (a round trip takes about 5 µs
     * when both ends spin), short enough that with more client processes than CPUs a spin that will
     * not succeed costs little (measured with 10 processes on 2 CPUs: 50 µs cut ping throughput by a
     * third and quadrupled p99; 10 µs did not).
     */
    public static final Duration DEFAULT_SPIN_TIME = Duration.ofNanos(10_000);

    /** The longest spin time accepted. */
    public static final Duration MAX_SPIN_TIME = Duration.ofMillis(10);

    /**
     * The default reply timeout, 30 s: a local daemon answers in microseconds, and even an fsync in
     * {@code always} mode on a slow disk within seconds, so a daemon silent this long is stuck
     * (stopped, wedged, its disk hung); long enough never to cut off a merely slow one.
     */
    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(30);

    /** The longest reply timeout accepted (other than {@link Duration#ZERO}: wait forever). */
    public static final Duration MAX_REPLY_TIMEOUT = Duration.ofDays(1);

    private static final Options DEFAULTS =
            new Options(true, DEFAULT_RECONNECT_WINDOW, DEFAULT_SPIN_TIME, true, DEFAULT_REPLY_TIMEOUT);

    private final boolean recovering;
    private final Duration reconnectWindow;
    private final Duration spinTime;
    private final boolean directReads;
    private final Duration replyTimeout;

    private Options(
            boolean recovering,
            Duration reconnectWindow,
            Duration spinTime,
            boolean directReads,
            Duration replyTimeout) {
        this.recovering = recovering;
        this.reconnectWindow = reconnectWindow;
        this.spinTime = spinTime;
        this.directReads = directReads;
        this.replyTimeout = replyTimeout;
    }

    /**
     * Recovering, with a reconnect window of {@link #DEFAULT_RECONNECT_WINDOW}, spinning {@link
     * #DEFAULT_SPIN_TIME}, reading directly, with a reply timeout of {@link #DEFAULT_REPLY_TIMEOUT}.
     */
    public static Options defaults() {
        return DEFAULTS;
    }

    /**
     * Whether the client survives daemon restarts ({@code true}, the default) or fails a call whose
     * connection broke at once with a {@link DaemonUnavailableException} ({@code false}: no session,
     * no resend; a request certainly not delivered is still retried once on a fresh connection).
     */
    public Options recovering(boolean recovering) {
        return new Options(recovering, reconnectWindow, spinTime, directReads, replyTimeout);
    }

    /**
     * How long a recovering call keeps reconnecting, counted from its first failure, before it
     * throws {@link DaemonUnavailableException}. Zero still allows one immediate retry.
     *
     * @throws IllegalArgumentException when negative
     */
    public Options reconnectWindow(Duration window) {
        Objects.requireNonNull(window, "window");
        if (window.isNegative()) {
            throw new IllegalArgumentException("reconnect window " + window + " is negative");
        }
        return new Options(recovering, window, spinTime, directReads, replyTimeout);
    }

    /**
     * How long a call waiting for its reply keeps checking the socket (yielding the CPU between
     * checks) before it blocks; {@link Duration#ZERO} blocks at once. Spinning spends CPU time to
     * get the reply sooner: waking a blocked thread takes microseconds on bare metal and tens of
     * microseconds in many virtual machines, while a local daemon usually answers within a few.
     * At most one thread fewer than the CPUs spins at a time in this process (none on a single
     * CPU), and none while the machine has more runnable threads than CPUs. The default, {@link
     * #DEFAULT_SPIN_TIME}, multiplies the round trips per second of a single-threaded caller on a
     * 2-CPU virtual machine by about six (with the daemon spinning too); turn it off when CPU time matters
     * more than latency (many mostly idle clients on a loaded machine).
     *
     * @throws IllegalArgumentException when negative or longer than {@link #MAX_SPIN_TIME}
     */
    public Options spinTime(Duration spin) {
        Objects.requireNonNull(spin, "spin");
        if (spin.isNegative() || spin.compareTo(MAX_SPIN_TIME) > 0) {
            throw new IllegalArgumentException("spin time " + spin + " is outside 0.." + MAX_SPIN_TIME);
        }
        return new Options(recovering, reconnectWindow, spin, directReads, replyTimeout);
    }

    /**
     * Whether {@link SharedMap#get} reads the public side of the daemon's mapped store directly when
     * this process may open it ({@code true}, the default): no system call and no round trip, with
     * the same answers as the socket (see "Direct reads" in {@link SharedMap}'s class comment).
     * {@code false} sends every GET through the socket.
     */
    public Options directReads(boolean direct) {
        return new Options(recovering, reconnectWindow, spinTime, direct, replyTimeout);
    }

    /**
     * How long a call waits for the daemon before giving up with a {@link ReplyTimeoutException}:
     * for its reply, counted from the start of sending the request (each further reply of a
     * pipeline: from the previous one), and for a new connection to be accepted and its hello
     * answered. {@link Duration#ZERO} waits forever. The connection that timed out is closed; the
     * call is not retried, not even by a recovering client; a change it carried may or may not be
     * applied (see {@link ReplyTimeoutException}). Direct reads never wait on the daemon.
     *
     * <p>A call gives up no earlier than the timeout and, on a machine that is not overloaded,
     * within an eighth of it (20 ms to 2 s) later: one daemon thread per process,
     * {@code sharedmap-reply-watchdog}, checks the waiting calls, every second for the default
     * timeout. Waiting costs a call no system call and no allocation.
     *
     * @throws IllegalArgumentException when negative or longer than {@link #MAX_REPLY_TIMEOUT}
     */
    public Options replyTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.compareTo(MAX_REPLY_TIMEOUT) > 0) {
            throw new IllegalArgumentException(
                    "reply timeout " + timeout + " is outside 0.." + MAX_REPLY_TIMEOUT + " (0: wait forever)");
        }
        return new Options(recovering, reconnectWindow, spinTime, directReads, timeout);
    }

    /** See {@link #replyTimeout(Duration)}. */
    public Duration replyTimeout() {
        return replyTimeout;
    }

    /** See {@link #directReads(boolean)}. */
    public boolean directReads() {
        return directReads;
    }

    /** See {@link #recovering(boolean)}. */
    public boolean recovering() {
        return recovering;
    }

    /** See {@link #reconnectWindow(Duration)}. */
    public Duration reconnectWindow() {
        return reconnectWindow;
    }

    /** See {@link #spinTime(Duration)}. */
    public Duration spinTime() {
        return spinTime;
    }

    @Override
    public String toString() {
        return (recovering ? "recovering, reconnect window " + reconnectWindow : "plain (not recovering)")
                + (replyTimeout.isZero() ? ", no reply timeout" : ", reply timeout " + replyTimeout)
                + ", spin time " + spinTime + (directReads ? ", direct reads" : ", socket reads only");
    }
}
