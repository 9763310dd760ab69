package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.Status;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.RawConnection;
import io.sharedmap.tests.support.SystemTestEnv;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An idle daemon sleeps: with 100 connections open and idle, after each has been served, its I/O
 * threads block in {@code epoll_wait} and nothing spins. A daemon whose loops spun would use a
 * whole CPU here; the bound (a quarter of one CPU over the window) fails that and leaves room for
 * a busy machine's noise. The figure itself (well under 1%) is measured in docs/BENCHMARKS.md.
 */
class IdleDaemonTest {
    private static final int CONNECTIONS = 100;
    private static final long WINDOW_MS = 4_000;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hundredIdleConnections_daemonSleeps() throws Exception {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        List<RawConnection> idle = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                RawConnection c = RawConnection.openWithHello(daemon.socket());
                idle.add(c);
                for (int round = 0; round < 20; round++) { // served, so its loop has spun after it
                    assertThat(c.call(Opcode.SET, ("idle/" + i).getBytes(), new byte[100], 0)
                                    .status())
                            .isIn(Status.CREATED, Status.UPDATED);
                }
            }
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2)); // let the JIT and the interval fsync finish
            long before = daemon.cpuMillis();
            long start = System.nanoTime();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(WINDOW_MS)); // the measured window
            long used = daemon.cpuMillis() - before;
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf(
                    "idle daemon with %d connections: %d ms of CPU in %d ms (%.2f%% of one CPU)%n",
                    CONNECTIONS, used, elapsedMs, 100.0 * used / elapsedMs);
            assertThat(before).as("the daemon's CPU time is readable").isNotNegative();
            assertThat(used)
                    .as("CPU the idle daemon used in %d ms with %d idle connections", elapsedMs, CONNECTIONS)
                    .isLessThan(elapsedMs / 4);
            for (RawConnection c : idle) {
                assertThat(c.call(Opcode.GET, "idle/0".getBytes(), new byte[0], 0)
                                .status())
                        .as("every idle connection is still served")
                        .isEqualTo(Status.FOUND);
            }
        } finally {
            for (RawConnection c : idle) {
                c.close();
            }
        }
    }
}
