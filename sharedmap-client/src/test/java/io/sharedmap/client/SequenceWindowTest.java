package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The session's sequence numbers: consecutive, and never further than the window from the oldest unanswered. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SequenceWindowTest {

    @Test
    void acquire_handsOutConsecutiveNumbersFromOne() {
        SequenceWindow w = new SequenceWindow(8);

        assertThat(w.acquire(1)).isEqualTo(1);
        assertThat(w.acquire(3)).isEqualTo(2);
        assertThat(w.acquire(1)).isEqualTo(5);
        assertThat(w.inFlightSpan()).isEqualTo(5);
    }

    @Test
    void release_outOfOrder_windowAdvancesOnlyPastTheOldest() {
        SequenceWindow w = new SequenceWindow(4);
        for (int i = 0; i < 4; i++) {
            w.acquire(1);
        }
        w.release(2);
        w.release(4);
        assertThat(w.inFlightSpan()).isEqualTo(4);
        w.release(1);
        assertThat(w.inFlightSpan()).isEqualTo(2); // 3 still out: 3 and 4 in the span
        w.release(3);
        w.release(3); // idempotent
        assertThat(w.inFlightSpan()).isZero();
    }

    @Test
    void acquire_oldestStillUnanswered_waitsEvenThoughNewerOnesWereReleased() throws Exception {
        SequenceWindow w = new SequenceWindow(4);
        for (int i = 0; i < 4; i++) {
            w.acquire(1);
        }
        w.release(2);
        w.release(3);
        w.release(4);
        Thread[] waiter = new Thread[1];
        CompletableFuture<Long> fifth = CompletableFuture.supplyAsync(() -> {
            waiter[0] = Thread.currentThread();
            return w.acquire(1);
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (waiter[0] == null || waiter[0].getState() != Thread.State.WAITING) {
            assertThat(System.nanoTime() - deadline).as("the acquirer blocks").isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertThat(fifth).isNotDone();

        w.release(1);

        assertThat(fifth.get(5, TimeUnit.SECONDS)).isEqualTo(5);
    }

    @Test
    void acquire_moreThanCapacity_refused() {
        assertThatThrownBy(() -> new SequenceWindow(4).acquire(5)).isInstanceOf(IllegalArgumentException.class);
    }
}
