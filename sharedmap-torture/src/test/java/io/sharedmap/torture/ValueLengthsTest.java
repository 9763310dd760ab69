package io.sharedmap.torture;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.torture.ValueLengths.Choice;
import io.sharedmap.torture.ValueLengths.Length;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The workers' value lengths: one own length per key and run, rewrites in place and moves both frequent. */
class ValueLengthsTest {
    private static final int OVERHEAD = TortureValue.HEADER_LENGTH + TortureValue.TRAILER_LENGTH;

    @Test
    void corruption_everyWorkerAgreesOnAKeysOwnLength_andSameEntryLengthsShareItsEntry() {
        int keyLength = "torture/1234abcd/c/7".length();
        Map<Choice, Integer> counts = new EnumMap<>(Choice.class);
        Set<Integer> own = new HashSet<>();
        Set<Integer> sameEntry = new HashSet<>();
        for (int worker = 0; worker < 8; worker++) { // workers differ only in their random choices
            ValueLengths lengths = new ValueLengths(0x1234_ABCD);
            SplittableRandom random = new SplittableRandom(worker);
            for (int i = 0; i < 2000; i++) {
                Length l = lengths.corruption(7, keyLength, OVERHEAD, random);
                counts.merge(l.choice(), 1, Integer::sum);
                assertThat(l.bytes()).isGreaterThanOrEqualTo(OVERHEAD);
                if (l.choice() == Choice.OWN) {
                    own.add(l.bytes());
                } else if (l.choice() == Choice.SAME_ENTRY) {
                    sameEntry.add(l.bytes());
                }
            }
        }
        assertThat(own).as("key 7's own length, in every worker").hasSize(1);
        int ownLength = own.iterator().next();
        assertThat(ownLength - OVERHEAD).as("the eighth key's own payload").isBetween(1024 + 16, 16 * 1024 + 16);
        assertThat(sameEntry).as("the other lengths of its entry").isNotEmpty().doesNotContain(ownLength);
        for (int n : sameEntry) {
            assertThat(ValueLengths.entryLength(keyLength, n))
                    .as("entry of a %d-byte value", n)
                    .isEqualTo(ValueLengths.entryLength(keyLength, ownLength));
        }
        // 45%, 15% and 40% of 16,000 draws
        assertThat(counts.get(Choice.OWN)).isBetween(6800, 7600);
        assertThat(counts.get(Choice.SAME_ENTRY)).isBetween(2100, 2700);
        assertThat(counts.get(Choice.FRESH)).isBetween(6000, 6800);
    }

    @Test
    void ownLengths_differBetweenKeysAndRuns() {
        Map<Integer, Integer> byKey = new HashMap<>();
        SplittableRandom random = new SplittableRandom(1);
        for (int k = 0; k < 16; k++) {
            Length l;
            do {
                l = new ValueLengths(42).history(k, 18, Long.BYTES, random);
            } while (l.choice() != Choice.OWN);
            byKey.put(k, l.bytes());
            int base = Long.BYTES + 8;
            if (k % 8 == 7) {
                assertThat(l.bytes()).as("key %d: one in eight is long", k).isBetween(base + 1024, base + 16 * 1024);
            } else {
                assertThat(l.bytes()).as("key %d", k).isBetween(base, base + 1024);
            }
        }
        assertThat(new HashSet<>(byKey.values())).as("own lengths of 16 keys").hasSizeGreaterThan(8);
        Length other;
        do {
            other = new ValueLengths(43).history(0, 18, Long.BYTES, random);
        } while (other.choice() != Choice.OWN);
        Length again;
        do {
            again = new ValueLengths(42).history(0, 18, Long.BYTES, random);
        } while (again.choice() != Choice.OWN);
        assertThat(again.bytes()).isEqualTo(byKey.get(0));
        assertThat(other.bytes()).as("another run's own length of key 0").isNotEqualTo(byKey.get(0));
    }

    @Test
    void history_freshLengthsSpanUpTo2KiB_andNeverBelowTheId() {
        ValueLengths lengths = new ValueLengths(7);
        SplittableRandom random = new SplittableRandom(3);
        int longest = 0;
        for (int i = 0; i < 10_000; i++) {
            Length l = lengths.history(i % 4, 20, Long.BYTES, random);
            assertThat(l.bytes()).isGreaterThanOrEqualTo(Long.BYTES).isLessThan(2048);
            longest = Math.max(longest, l.bytes());
        }
        assertThat(longest).isGreaterThan(1900);
    }
}
