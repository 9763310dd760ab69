package io.sharedmap.launcher;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.Options;
import io.sharedmap.client.ReplyTimeoutException;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A daemon JVM that {@link DaemonLauncher} started: wait until it serves, stop it, kill it.
 * "Serves" means it answers a PING on its socket, the same test {@code sharedmap start} and
 * {@code status} apply to a daemon they did not start.
 */
public final class Daemon {
    /** How long {@link #awaitServing} polls at most between two attempts. */
    private static final long MAX_POLL_MS = 100;

    /** Bytes read from the end of a log to find its last lines. */
    private static final int TAIL_BYTES = 64 * 1024;

    private final Process process;
    private final DaemonSpec spec;
    private final Path log;

    Daemon(Process process, DaemonSpec spec, Path log) {
        this.process = process;
        this.spec = spec;
        this.log = log;
    }

    public DaemonSpec spec() {
        return spec;
    }

    public Path socket() {
        return spec.socket();
    }

    /** The file its output is appended to. */
    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until the daemon answers a PING on its socket, it exits, or {@code timeout} passes. Not
     * interruptible: an interrupt that arrives meanwhile is kept for the caller (a pending interrupt
     * would make every probe's socket fail at once, so the probe could never see the daemon answer).
     *
     * @return how long it took
     * @throws IOException when it exits first or does not answer in time; the message says which,
     *     with the last attempt's failure and the log's path
     */
    public Duration awaitServing(Duration timeout) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return awaitServing(process, spec.socket(), timeout, log);
        } finally {
            if (interrupted || Thread.interrupted()) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits until the daemon {@code process} answers a PING on {@code socket}; for a daemon started
     * some other way (the system tests start it with their own output capture).
     */
    public static Duration awaitServing(Process process, Path socket, Duration timeout, Path log) throws IOException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        long backoffMs = 5;
        while (true) {
            Thread.interrupted(); // kept by the caller
            String whyNot = whyNotServing(socket);
            if (whyNot == null) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            if (!process.isAlive()) {
                throw new IOException("the daemon (pid " + process.pid() + ") exited with status " + process.exitValue()
                        + " before it answered on " + socket + "; see " + log);
            }
            long leftNs = deadline - System.nanoTime();
            if (leftNs <= 0) {
                throw new IOException("the daemon (pid " + process.pid() + ") did not answer on " + socket + " within "
                        + timeout.toMillis() + " ms (last attempt: " + whyNot + "); it is still running; see " + log);
            }
            try {
                // returns at once when it exits; otherwise the poll's pause, with a deadline
                process.waitFor(Math.min(TimeUnit.MILLISECONDS.toNanos(backoffMs), leftNs), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                // kept by the caller (see awaitServing(Duration)); poll again
            }
            backoffMs = Math.min(backoffMs * 2, MAX_POLL_MS);
        }
    }

    /** Null if a daemon answers a PING on {@code socket}, else why not. */
    public static @Nullable String whyNotServing(Path socket) {
        try (SharedMap map = SharedMap.connect(socket, probeOptions(Duration.ofSeconds(30)))) {
            map.ping();
            return null;
        } catch (SharedMapException e) {
            return e.getMessage();
        }
    }

    /**
     * The STATS of the daemon on {@code socket}, or empty when none answers there.
     *
     * @throws ReplyTimeoutException when a daemon holds the socket but does not answer within
     *     {@code replyTimeout}: a stuck daemon, not the same as none
     */
    public static Optional<Map<String, String>> statsIfServing(Path socket, Duration replyTimeout) {
        try (SharedMap map = SharedMap.connect(socket, probeOptions(replyTimeout))) {
            return Optional.of(map.stats());
        } catch (ReplyTimeoutException e) {
            throw e;
        } catch (DaemonUnavailableException e) {
            return Optional.empty();
        }
    }

    private static Options probeOptions(Duration replyTimeout) {
        return Options.defaults().recovering(false).directReads(false).replyTimeout(replyTimeout);
    }

    /** SIGTERM (the daemon drains and exits 0), waiting up to {@code timeout}, then kill -9. Returns the status. */
    public int stop(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        return process.exitValue();
    }

    /** kill -9, and waits until the process is gone. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** The exit status of a daemon that has exited, or -1 while it runs. */
    public int exitStatus() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** The last {@code n} lines of {@code log} (fewer if it is shorter; none if it cannot be read). */
    public static List<String> tail(Path log, int n) {
        try (SeekableByteChannel ch = Files.newByteChannel(log)) {
            long size = ch.size();
            int length = (int) Math.min(size, TAIL_BYTES);
            ByteBuffer buf = ByteBuffer.allocate(length);
            ch.position(size - length);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading
            }
            List<String> lines =
                    Arrays.asList(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n"));
            return lines.subList(Math.max(0, lines.size() - n), lines.size());
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public String toString() {
        return "daemon pid " + process.pid() + " on " + spec.socket();
    }
}
