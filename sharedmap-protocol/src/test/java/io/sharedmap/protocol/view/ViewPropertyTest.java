package io.sharedmap.protocol.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The view against a model: after any sequence of puts and removes on a small table (so that
 * probes collide, wrap around, move keys back into deleted slots and run out of room), every key the view answers
 * for has exactly the model's value and version, every key the model lacks is absent, and a key
 * the writer said it published is found.
 */
class ViewPropertyTest {
    private static final int SLOTS = 16;
    private static final int SLOT_SIZE = 64; // 36 bytes of key + value

    /** One step: put (value non-null) or remove a key from a small set. */
    record Step(int key, byte[] value) {
        @Override
        public String toString() {
            return value == null ? "remove k" + key : "put k" + key + " (" + value.length + " bytes)";
        }
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> key = Arbitraries.integers().between(0, 40);
        Arbitrary<byte[]> value =
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40).injectNull(0.3);
        return Combinators.combine(key, value).as(Step::new).list().ofMaxSize(300);
    }

    @Property(tries = 300)
    void view_matchesModel_afterAnySteps(@ForAll("steps") List<Step> steps) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(ViewDescriptor.fileLength(SLOTS, SLOT_SIZE), 8);
            ViewWriter w = ViewWriter.format(s, SLOTS, SLOT_SIZE, 42);
            ViewReader r = ViewReader.of(s);
            Map<Integer, byte[]> model = new HashMap<>();
            Map<Integer, Long> versions = new HashMap<>();
            long version = 0;
            for (Step step : steps) {
                byte[] key = ("k" + step.key()).getBytes();
                if (step.value() == null) {
                    w.remove(key);
                    model.remove(step.key());
                } else {
                    version++;
                    if (w.put(key, step.value(), version)) {
                        model.put(step.key(), step.value());
                        versions.put(step.key(), version);
                        assertThat(r.lookup(key)).as("just published %s", step).isNotNull();
                    } else {
                        model.remove(step.key()); // withdrawn: readers must ask the daemon
                    }
                }
                for (int k = 0; k <= 40; k++) {
                    ViewReader.Hit hit = r.lookup(("k" + k).getBytes());
                    if (model.containsKey(k)) {
                        assertThat(hit).as("k%d after %s", k, step).isNotNull();
                        assertThat(hit.value()).isEqualTo(model.get(k));
                        assertThat(hit.version()).isEqualTo(versions.get(k));
                    } else {
                        assertThat(hit).as("k%d after %s", k, step).isNull();
                    }
                }
                assertThat(w.entries()).isEqualTo(model.size());
                for (int i = 0; i < SLOTS; i++) {
                    assertThat(s.get(
                                    ValueLayout.JAVA_BYTE,
                                    ViewDescriptor.slotOffset(i, SLOT_SIZE) + ViewDescriptor.SLOT_STATE_OFFSET))
                            .as("slot %d after %s: no tombstone outlives a remove", i, step)
                            .isNotEqualTo(ViewDescriptor.TOMBSTONE);
                }
            }
        }
    }
}
