package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.Status;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.Deadline;
import io.sharedmap.tests.support.RawConnection;
import io.sharedmap.tests.support.SystemTestEnv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hostile clients all at once beside an honest one: a client that never reads its replies, one
 * that sends one byte a second, one that connects and never says hello, one that opens connections
 * until refused. The daemon closes the stallers after {@code --stall-timeout-ms}, refuses the
 * connection hog clearly with TOO_MANY_CONNECTIONS, its resident memory stays bounded, and the
 * honest client's operations all complete, each within a bound.
 */
class HostileClientsTest {
    private static final int MAX_CONNECTIONS = 48;
    private static final int STALL_MS = 1500;
    private static final long RSS_BOUND_KIB = 400 * 1024;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void allHostileClientsAtOnce_honestClientUnaffected_stallersClosed_hogRefused_rssBounded() throws Exception {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec()
                .withServerArgs(
                        "--max-connections",
                        Integer.toString(MAX_CONNECTIONS),
                        "--stall-timeout-ms",
                        Integer.toString(STALL_MS),
                        "--max-value-bytes",
                        "1048576")
                .withJvmArgs("-Xmx96m"));
        AtomicLong peakRss = new AtomicLong();
        Thread rssSampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted() && daemon.isAlive()) {
                peakRss.accumulateAndGet(daemon.peakRssKiB(), Math::max);
                LockSupport.parkNanos(100_000_000); // sampling period
            }
        });
        HonestClient honest = new HonestClient(daemon.socket(), "honest");
        List<RawConnection> hog = new ArrayList<>();
        try (RawConnection neverReads = RawConnection.openWithHello(daemon.socket());
                RawConnection slow = RawConnection.openWithHello(daemon.socket());
                RawConnection silent = RawConnection.open(daemon.socket())) {
            long silentSince = System.nanoTime();
            // 1. Never reads: pipelines 64 KiB SETs until the daemon stops taking them (its replies
            //    fill our receive buffer, then its send buffer; it blocks writing and is closed).
            byte[] big = RawConnection.request(Opcode.SET, "hostile/big", "x".repeat(60_000), 0);
            long flooded = 0;
            for (int i = 0; i < 2000; i++) {
                long n = neverReads.sendUntilStalled(ByteBuffer.wrap(big), Duration.ofMillis(200));
                flooded += n;
                if (n < big.length) {
                    break;
                }
            }
            assertThat(flooded)
                    .as("bytes the never-reading client got in before the daemon stopped reading")
                    .isPositive();
            // 2. One byte a second: a GET frame, trickled.
            byte[] get = RawConnection.request(Opcode.GET, "hostile/slow", "", 0);
            Thread trickler = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (byte b : get) {
                        slow.send(new byte[] {b});
                        Thread.sleep(1000); // the hostile client's pace, not a test wait
                    }
                } catch (InterruptedException | UncheckedIOException e) {
                    // closed by the daemon, as expected
                }
            });
            // 3. Connection hog: opens connections (each with a hello) until refused.
            RawConnection.Response refused = fillUntilRefused(daemon, hog);
            assertThat(refused.error().code()).isEqualTo(ErrorCode.TOO_MANY_CONNECTIONS);
            assertThat(refused.error().message()).as("refusal message").isNotBlank();
            assertThat(hog.getLast().awaitEof(Duration.ofSeconds(5)))
                    .as("a refused connection is closed")
                    .isTrue();

            // The stallers are closed after the stall timeout; the hog's idle connections are not.
            assertThat(silent.awaitEof(Duration.ofMillis(STALL_MS * 4L)))
                    .as("no hello: closed")
                    .isTrue();
            assertThat(System.nanoTime() - silentSince)
                    .as("not closed before the stall timeout")
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(STALL_MS));
            assertThat(slow.awaitEof(Duration.ofMillis(STALL_MS * 4L)))
                    .as("one byte a second: closed")
                    .isTrue();
            trickler.interrupt();
            Deadline d = Deadline.in(Duration.ofMillis(STALL_MS * 4L));
            boolean floodClosed = false;
            while (!floodClosed && !d.expired()) {
                try {
                    floodClosed = neverReads.sendUntilStalled(ByteBuffer.wrap(big), Duration.ofMillis(100)) < 0;
                } catch (IOException e) {
                    floodClosed = true; // reset / broken pipe: the daemon closed it
                }
            }
            assertThat(floodClosed).as("the client that never reads is closed").isTrue();

            long before = honest.ops();
            Await.progress(honest, before + 50);
            // The stallers' slots are free again: the hog takes them too, then a new client is refused.
            fillUntilRefused(daemon, hog);
            try (SharedMap other =
                    SharedMap.connect(daemon.socket(), Options.defaults().recovering(false))) {
                throw new AssertionError("a new client got in past --max-connections: " + other);
            } catch (SharedMapException e) {
                assertThat(e.errorCode())
                        .as("a new client while the hog holds every slot: %s", e)
                        .contains(ErrorCode.TOO_MANY_CONNECTIONS);
            }
            hog.forEach(RawConnection::close);
            hog.clear();
            Deadline free = Deadline.in(Duration.ofSeconds(10));
            while (true) {
                try (SharedMap other =
                        SharedMap.connect(daemon.socket(), Options.defaults().recovering(false))) {
                    other.set("after-hog", "in");
                    break;
                } catch (SharedMapException e) {
                    if (free.expired()) {
                        throw new AssertionError("no new client served 10 s after the hog let go", e);
                    }
                    LockSupport.parkNanos(50_000_000); // poll until the daemon reaps them
                }
            }
            honest.stopAndCheck(100, Duration.ofSeconds(2));
            try (SharedMap m =
                    SharedMap.connect(daemon.socket(), Options.defaults().recovering(false))) {
                var stats = m.stats();
                assertThat(Long.parseLong(stats.get("connections_stalled_closed")))
                        .as("STATS %s", stats)
                        .isGreaterThanOrEqualTo(3);
                assertThat(Long.parseLong(stats.get("connections_rejected"))).isGreaterThanOrEqualTo(2);
            }
        } finally {
            honest.close();
            hog.forEach(RawConnection::close);
            rssSampler.interrupt();
        }
        assertThat(peakRss.get()).as("daemon peak RSS in KiB (VmHWM)").isBetween(1L, RSS_BOUND_KIB);
        assertThat(daemon.isAlive()).isTrue();
        daemon.stop();
    }

    /** Opens connections (each with a hello) until one is refused; returns the refusal. */
    private static RawConnection.Response fillUntilRefused(DaemonProcess daemon, List<RawConnection> hog) {
        for (int i = 0; i < MAX_CONNECTIONS + 10; i++) {
            RawConnection c = RawConnection.open(daemon.socket());
            hog.add(c);
            try {
                c.send(RawConnection.clientHello());
            } catch (UncheckedIOException refusedFirst) {
                // A daemon at its limit answers before reading the hello and closes: the hello can meet a
                // broken pipe while the refusal waits to be read below.
            }
            RawConnection.Response r = c.read();
            if (r.status() == Status.ERROR) {
                return r;
            }
        }
        throw new AssertionError("not refused within " + (MAX_CONNECTIONS + 10) + " connections");
    }

    /** Polls an honest client's op count (nothing signals it). */
    private static final class Await {
        static void progress(HonestClient h, long ops) {
            io.sharedmap.tests.support.Await.until(
                    "the honest client reaches " + ops + " ops", () -> h.ops() >= ops, Duration.ofSeconds(20));
        }
    }
}
