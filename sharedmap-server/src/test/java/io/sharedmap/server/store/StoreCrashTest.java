package io.sharedmap.server.store;

import static io.sharedmap.server.store.MappedStoreTest.PRIVATE;
import static io.sharedmap.server.store.MappedStoreTest.PUBLIC;
import static io.sharedmap.server.store.MappedStoreTest.bytes;
import static io.sharedmap.server.store.MappedStoreTest.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.sharedmap.os.store.StoreDescriptor;
import io.sharedmap.os.store.StoreReader;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.store.MappedStoreTest.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * A {@code kill -9} at any point between two ordered steps of the store's writer (a {@link
 * CrashPoints} hook that throws), then the daemon's recovery: open the store again, replay every
 * change after its checkpoint, recount. The result must be exactly the model of all the changes:
 * same values, versions and owners, each key in one side only, the ordered index in step, usage
 * exact, and no private or deleted value readable in the public files.
 */
class StoreCrashTest {
    /** What a kill leaves: the writer stops between two steps. */
    static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash() {
            super("simulated kill -9", null, false, false);
        }
    }

    /** Small chunks, so that a few changes fill several and compaction has work. */
    static final Side.Chunking SMALL = new Side.Chunking(4096, 16384, 256);

    private Path dir;

    @BeforeTry
    void makeDir() throws IOException {
        dir = StoreTestSupport.tempStoreDir("crash");
    }

    @AfterTry
    void removeDir() throws IOException {
        StoreTestSupport.deleteTree(dir);
    }

    /** One change to generate: kind (0..5 put, 6..7 delete, 8..9 chmod), key number, value length. */
    record Spec(int kind, int key, int length, int batchEnd) {}

    @Provide
    Arbitrary<List<Spec>> specs() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 9),
                        Arbitraries.integers().between(0, 24),
                        Arbitraries.integers().between(0, 300),
                        Arbitraries.integers().between(0, 4))
                .as(Spec::new)
                .list()
                .ofMinSize(60)
                .ofMaxSize(200);
    }

    @Property(tries = 300)
    void crashAnywhere_thenReplay_endsInTheModel(
            @ForAll("specs") List<Spec> specs,
            @ForAll @DoubleRange(min = 0, max = 1) double where,
            @ForAll boolean compact)
            throws IOException {
        List<Op> ops = new ArrayList<>();
        Map<String, Owner> owners = new HashMap<>();
        long v = 0;
        for (Spec s : specs) {
            String k = "key/" + s.key();
            v++;
            switch (s.kind()) {
                case 0, 1, 2, 3, 4, 5 -> {
                    Owner o = owners.getOrDefault(k, s.length() % 3 == 0 ? PRIVATE : PUBLIC);
                    owners.put(k, o);
                    byte[] value =
                            ("V" + v + "|").repeat(Math.max(1, s.length() / 4)).getBytes(StandardCharsets.US_ASCII);
                    ops.add(Op.put(k, s.length() % 7 == 0 ? new byte[0] : value, v, o));
                }
                case 6, 7 -> {
                    owners.remove(k);
                    ops.add(Op.delete(k, v));
                }
                default -> {
                    Owner o = s.length() % 2 == 0 ? PRIVATE : PUBLIC;
                    if (owners.containsKey(k)) {
                        owners.put(k, o);
                    }
                    ops.add(Op.chmod(k, v, o));
                }
            }
        }
        // A bug here may leave an entry odd forever, and a read would spin: bound every try.
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> crashAndRecover(ops, specs, where, compact));
    }

    private void crashAndRecover(List<Op> ops, List<Spec> specs, double where, boolean compact) throws IOException {
        // A first run counts the steps; the second stops at one of them, chosen by `where`.
        int total = run(ops, specs, compact, Integer.MAX_VALUE);
        StoreTestSupport.deleteTree(dir);
        Files.createDirectories(dir);
        int crashAt = 1 + (int) (where * Math.max(0, total - 1));
        run(ops, specs, compact, crashAt);

        MappedStore.Found f = MappedStore.open(settings(dir), MappedStoreTest.DATA_DIR_ID, CrashPoints.NONE, SMALL);
        assertThat(f.distrust()).isNull();
        long from = f.checkpoint().version();
        try (MappedStore s = f.store()) {
            // As Recovery does: begin (a move cut short is completed there, whether or not any record
            // follows the checkpoint), then replay what follows, if anything does.
            s.beginRecovery();
            List<Op> rest = ops.stream().filter(o -> o.version() > from).toList();
            if (!rest.isEmpty()) {
                s.replay(rest, null);
            }
            s.recovered(false);
            check(s, ops);
        }
    }

    /** Applies {@code ops} in their batches, stopping at step {@code crashAt}; returns the steps taken. */
    private int run(List<Op> ops, List<Spec> specs, boolean compact, int crashAt) throws IOException {
        int[] steps = {0};
        CrashPoints points = () -> {
            if (++steps[0] == crashAt) {
                throw new SimulatedCrash();
            }
        };
        MappedStore store = MappedStore.create(settings(dir), MappedStoreTest.DATA_DIR_ID, points, SMALL);
        try {
            List<Op> batch = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                batch.add(ops.get(i));
                if (specs.get(i).batchEnd() == 0 || i == ops.size() - 1) {
                    store.apply(batch, MappedStoreTest.at(batch.getLast().version()));
                    batch.clear();
                    if (compact) {
                        store.compactStepForTest();
                    }
                }
            }
        } catch (SimulatedCrash expected) {
            // the process died here
        } finally {
            store.abandon();
        }
        return steps[0];
    }

    private record Expected(byte[] value, long version, Owner owner) {}

    private void check(MappedStore s, List<Op> ops) throws IOException {
        TreeMap<String, Expected> model = new TreeMap<>();
        for (Op o : ops) {
            String k = new String(o.key(), StandardCharsets.US_ASCII);
            switch (o.changeKind()) {
                case MappedStore.Change.PUT -> model.put(k, new Expected(o.value(), o.version(), o.owner()));
                case MappedStore.Change.DELETE -> model.remove(k);
                default -> model.computeIfPresent(k, (key, e) -> new Expected(e.value(), e.version(), o.owner()));
            }
        }
        Map<Owner, long[]> usage = new HashMap<>();
        for (int i = 0; i <= 24; i++) {
            String k = "key/" + i;
            Expected e = model.get(k);
            MappedStore.Stored st = s.get(bytes(k), true);
            if (e == null) {
                assertThat(st).as(k).isNull();
                continue;
            }
            assertThat(st).as(k).isNotNull();
            assertThat(st.value()).as(k).isEqualTo(e.value());
            assertThat(st.version()).as(k).isEqualTo(e.version());
            assertThat(st.owner()).as(k).isEqualTo(e.owner());
            boolean inPub = s.pub.find(bytes(k), StoreDescriptor.hash(bytes(k))) >= 0;
            boolean inPriv = s.priv.find(bytes(k), StoreDescriptor.hash(bytes(k))) >= 0;
            assertThat(inPub != inPriv).as(k + " in exactly one side").isTrue();
            assertThat(inPub).as(k + " public").isEqualTo(e.owner().equals(PUBLIC));
            Side side = inPub ? s.pub : s.priv;
            long ref = StoreDescriptor.refOf(side.index.word(side.find(bytes(k), StoreDescriptor.hash(bytes(k)))));
            assertThat(side.stamp(ref) & 1).as(k + " published").isZero();
            assertThat(s.treeRefOf(bytes(k)))
                    .as(k + " in the ordered index")
                    .isEqualTo(inPub ? ref : ref | StoreLayout.PRIVATE_BIT);
            usage.merge(e.owner(), new long[] {1, k.length() + e.value().length}, (a, b) ->
                    new long[] {a[0] + b[0], a[1] + b[1]});
        }
        List<String> scanned = new ArrayList<>();
        s.scan(new byte[0], true, e -> {
            scanned.add(new String(e.key(), StandardCharsets.US_ASCII));
            return true;
        });
        assertThat(scanned).containsExactlyElementsOf(model.keySet());
        assertThat(s.usage()).hasSameSizeAs(usage);
        usage.forEach((o, u) -> assertThat(s.usage().get(o)).as("usage of " + o).containsExactly(u[0], u[1]));
        StoreReader r = StoreReader.open(s.publicDir(), s.generation());
        boolean anyPrivate = model.values().stream().anyMatch(e -> e.owner().equals(PRIVATE));
        for (int i = 0; i <= 24; i++) {
            String k = "key/" + i;
            Expected e = model.get(k);
            StoreReader.Result got = r.lookup(bytes(k));
            if (e == null || e.owner().equals(PRIVATE)) {
                assertThat(got).as(k).isSameAs(anyPrivate ? StoreReader.UNKNOWN : StoreReader.ABSENT);
            } else {
                assertThat(got).as(k).isInstanceOfSatisfying(StoreReader.Found.class, found -> {
                    assertThat(found.value()).isEqualTo(e.value());
                    assertThat(found.version()).isEqualTo(e.version());
                });
            }
        }
        // no private value (and no deleted or overwritten private value) is readable in the public files
        List<byte[]> secrets = new ArrayList<>();
        for (Op o : ops) {
            if (o.changeKind() == MappedStore.Change.PUT && o.owner().equals(PRIVATE) && o.value().length > 8) {
                String k = new String(o.key(), StandardCharsets.US_ASCII);
                Expected now = model.get(k);
                boolean publicNow = now != null && now.owner().equals(PUBLIC) && Arrays.equals(now.value(), o.value());
                if (!publicNow) {
                    secrets.add(o.value());
                }
            }
        }
        try (Stream<Path> files = Files.list(dir.resolve("public"))) {
            for (Path p : files.toList()) {
                byte[] all = Files.readAllBytes(p);
                for (byte[] secret : secrets) {
                    assertThat(indexOf(all, secret))
                            .as("a private value in " + p)
                            .isNegative();
                }
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
