package io.sharedmap.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link JitQuiet}'s window, driven by explicit times and a compilation total the test sets. */
class JitQuietTest {
    private static final long T0 = 1_000_000_000L;

    private final AtomicLong compiledMs = new AtomicLong(500);

    private static long at(long ms) {
        return T0 + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** Polls every 50 ms from {@code fromMs} to {@code toMs}; whether the last poll found it quiet. */
    private static boolean pollUntil(JitQuiet q, long fromMs, long toMs) {
        boolean quiet = false;
        for (long ms = fromMs; ms <= toMs; ms += 50) {
            quiet = q.quiet(at(ms));
        }
        return quiet;
    }

    @Test
    void quiet_onlyOnceTheWholeQuietTimeHasPassedWithoutCompiling() {
        JitQuiet q = new JitQuiet(compiledMs::get, 3_000, T0);

        assertThat(pollUntil(q, 50, 2_950)).as("2.95 s of a 3 s quiet time").isFalse();
        assertThat(pollUntil(q, 3_000, 3_000)).as("3 s without compiling").isTrue();
    }

    @Test
    void quiet_allowsAThousandthOfTheQuietTime_notMore() {
        JitQuiet within = new JitQuiet(compiledMs::get, 3_000, T0);
        pollUntil(within, 50, 1_000);
        compiledMs.addAndGet(3); // 3 ms in 3 s: a thousandth
        assertThat(pollUntil(within, 1_050, 3_000)).isTrue();

        compiledMs.set(500);
        JitQuiet over = new JitQuiet(compiledMs::get, 3_000, T0);
        pollUntil(over, 50, 1_000);
        compiledMs.addAndGet(4);
        assertThat(pollUntil(over, 1_050, 3_000))
                .as("4 ms compiled within the last 3 s")
                .isFalse();
        assertThat(pollUntil(over, 3_050, 3_950))
                .as("the 4 ms still inside the window")
                .isFalse();
        assertThat(pollUntil(over, 4_000, 4_050)).as("3 s after the compile").isTrue();
    }

    @Test
    void quiet_windowSlides_aCompileRestartsIt() {
        JitQuiet q = new JitQuiet(compiledMs::get, 1_000, T0);
        for (long ms = 50; ms <= 10_000; ms += 50) {
            if (ms % 700 == 0) {
                compiledMs.addAndGet(5); // a compile every 0.7 s: never a quiet second
            }
            assertThat(q.quiet(at(ms))).as("at %d ms", ms).isFalse();
        }
        assertThat(pollUntil(q, 10_050, 10_750)).isFalse();
        assertThat(q.quiet(at(10_800)))
                .as("a second after the last compile (at 9.8 s)")
                .isTrue();
    }

    @Test
    void quiet_looksAtMostEvery50Ms() {
        JitQuiet q = new JitQuiet(compiledMs::get, 1_000, T0);
        assertThat(pollUntil(q, 50, 1_000)).isTrue();
        // Quiet still, but the next look is due 50 ms after the last one: until then the answer is no.
        assertThat(q.quiet(at(1_010))).isFalse();
        assertThat(q.quiet(at(1_049))).isFalse();
        assertThat(q.quiet(at(1_050))).isTrue();
    }

    @Test
    void never_isNeverQuiet() {
        JitQuiet q = JitQuiet.never(T0);
        assertThat(pollUntil(q, 50, 600_000)).isFalse();
        assertThat(JitQuiet.start(0, T0).quiet(at(TimeUnit.DAYS.toMillis(1)))).isFalse();
    }
}
