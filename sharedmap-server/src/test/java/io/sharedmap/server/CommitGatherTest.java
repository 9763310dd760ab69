package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class CommitGatherTest {
    @Test
    void noTargetBeforeTheFirstBatch_soTheFirstFsyncNeverWaits() {
        assertThat(new CommitGather(200_000).target()).isZero();
    }

    @Test
    void aLoneWritersBatchesNeverMakeItWait() {
        CommitGather g = new CommitGather(200_000);
        for (int i = 0; i < 100; i++) {
            g.record(1, false);
            assertThat(g.target()).isEqualTo(1); // a batch of one connection already has one
        }
    }

    @Test
    void targetIsTheLargestRecentBatch_andForgetsItAfterTheRememberedCount() {
        CommitGather g = new CommitGather(200_000);
        g.record(10, false);
        for (int i = 1; i < CommitGather.REMEMBERED; i++) {
            g.record(4, false);
            assertThat(g.target()).as("after %d smaller batches", i).isEqualTo(10);
        }
        g.record(4, false);
        assertThat(g.target()).isEqualTo(4);
    }

    @Test
    void aWaitThatRanOut_lowersTheTargetToWhatItReached_atOnce() {
        CommitGather g = new CommitGather(200_000);
        g.record(10, false);
        g.record(10, false);
        g.record(3, true); // seven writers left: one wasted wait, not one per remembered batch
        assertThat(g.target()).isEqualTo(3);
        g.record(5, false);
        assertThat(g.target()).isEqualTo(5);
    }

    /**
     * Against a model written differently: the target is the largest of the last {@value
     * CommitGather#REMEMBERED} batches recorded after the last wait that ran out, and that wait's size
     * (or 0, with none) while fewer than that many were recorded since.
     */
    @Property(tries = 300)
    void targetMatchesAModelOverTheWholeHistory(
            @ForAll @Size(max = 200) List<@IntRange(min = 1, max = 64) Integer> sizes,
            @ForAll @Size(max = 200) List<Boolean> ranOuts) {
        CommitGather g = new CommitGather(200_000);
        List<Integer> since = new ArrayList<>(); // batches recorded after the last wait that ran out
        int ranOut = 0;
        for (int i = 0; i < sizes.size(); i++) {
            boolean out = i < ranOuts.size() && ranOuts.get(i);
            int n = sizes.get(i);
            g.record(n, out);
            if (!out) {
                since.add(n);
            } else {
                since.clear();
                ranOut = n;
            }
            List<Integer> window = since.subList(Math.max(0, since.size() - CommitGather.REMEMBERED), since.size());
            int expected = window.stream().mapToInt(Integer::intValue).max().orElse(0);
            if (since.size() < CommitGather.REMEMBERED) {
                expected = Math.max(expected, ranOut);
            }
            assertThat(g.target()).as("after %d batches", i + 1).isEqualTo(expected);
        }
    }
}
