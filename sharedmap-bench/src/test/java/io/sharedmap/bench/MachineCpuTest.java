package io.sharedmap.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link MachineCpu} on {@code /proc/stat} lines laid out as Linux writes them, and on this
 * machine's own {@code /proc/stat} where there is one.
 */
class MachineCpuTest {
    private static final List<String> STAT = List.of(
            "cpu  400 5 200 9000 30 7 8 2 0 0",
            "cpu0 200 5 100 4500 15 3 4 1 0 0",
            "cpu1 200 0 100 4500 15 4 4 1 0 0",
            "intr 123456 0 0",
            "ctxt 987654",
            "btime 1700000000",
            "processes 4321");

    @Test
    void parse_busyIsUserNiceSystemIrqSoftirqSteal_andContextSwitchesAreTheCtxtLine() {
        MachineCpu.Sample s = MachineCpu.parse(STAT);

        // 400 + 5 + 200 + 7 + 8 + 2 ticks of 10 ms; idle (9000) and iowait (30) are not busy
        assertThat(s.busyNs()).isEqualTo(622 * 10_000_000L);
        assertThat(s.contextSwitches()).isEqualTo(987_654);
    }

    @Test
    void parse_missingLines_areUnknown_andDifferencesKeepThemUnknown() {
        MachineCpu.Sample none = MachineCpu.parse(List.of("intr 1 0", "btime 1700000000"));
        MachineCpu.Sample later = MachineCpu.parse(STAT);

        assertThat(none).isEqualTo(MachineCpu.Sample.UNKNOWN);
        assertThat(MachineCpu.parse(List.of("ctxt 0")).contextSwitches())
                .as("0 since boot means not counted")
                .isEqualTo(-1);
        assertThat(later.busySince(none)).isEqualTo(-1);
        assertThat(later.contextSwitchesSince(none)).isEqualTo(-1);
        assertThat(later.contextSwitchesSince(MachineCpu.parse(List.of("ctxt 987000"))))
                .isEqualTo(654);
    }

    @Test
    void share_isCpuTimeOverTheMachinesCapacity_cappedAt1_unknownWhenEitherIs() {
        int cpus = Runtime.getRuntime().availableProcessors();

        assertThat(MachineCpu.share(cpus * 500L, 1_000)).isEqualTo(0.5);
        assertThat(MachineCpu.share(cpus * 3_000L, 1_000)).isEqualTo(1.0);
        assertThat(MachineCpu.share(0, 1_000)).isEqualTo(0.0);
        assertThat(MachineCpu.share(-1, 1_000)).isEqualTo(-1);
        assertThat(MachineCpu.share(500, 0)).isEqualTo(-1);
    }

    /**
     * 200 round trips between two threads over a pipe: in nearly every one, a thread that waits for
     * the other's byte is asleep in {@code read(2)} and must be switched in again. (Both could find
     * their byte already there only if each thread's turn between its write and its next read
     * outlasted the other's read and write, which cannot hold for both for long.) So the machine's
     * count grows by well over half the round trips; a count that missed them would stay near 0.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void sample_onThisMachine_countsTheContextSwitchesOfBlockingRoundTrips() throws Exception {
        assumeTrue(MachineCpu.sample().contextSwitches() > 0, "no context switch count here");
        int roundTrips = 200;
        Pipe there = Pipe.open();
        Pipe back = Pipe.open();
        Thread echo = Thread.ofPlatform().daemon().start(() -> {
            ByteBuffer b = ByteBuffer.allocate(1);
            try {
                for (int i = 0; i < roundTrips; i++) {
                    b.clear();
                    there.source().read(b);
                    b.flip();
                    back.sink().write(b);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });

        MachineCpu.Sample before;
        MachineCpu.Sample after;
        try {
            before = MachineCpu.sample();
            ByteBuffer b = ByteBuffer.allocate(1);
            for (int i = 0; i < roundTrips; i++) {
                there.sink().write(ByteBuffer.wrap(new byte[] {(byte) i}));
                b.clear();
                back.source().read(b);
                assertThat(b.get(0)).isEqualTo((byte) i);
            }
            after = MachineCpu.sample();
            echo.join();
        } finally { // a failed assertion must not leave the echo thread blocked in read
            there.sink().close();
            there.source().close();
            back.sink().close();
            back.source().close();
        }

        assertThat(after.contextSwitchesSince(before)).isGreaterThanOrEqualTo(roundTrips / 2);
        assertThat(after.busySince(before)).isGreaterThanOrEqualTo(0);
    }
}
