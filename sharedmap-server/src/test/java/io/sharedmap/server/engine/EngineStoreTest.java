package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.os.store.StoreReader;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.store.MappedStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine keeps its mapped store equal to the durable state, readable directly by clients,
 * withdraws what they may not read, and continues it across restarts (clean, and as after {@code
 * kill -9}) or rebuilds it when it cannot trust it.
 */
class EngineStoreTest {
    @TempDir
    Path dir;

    private static final Caller ALICE = new Caller(1001, 100, new long[] {100}, false);

    private EngineConfig config(Durability d) {
        return new EngineConfig(dir, d, 1000, 1L << 30)
                .withStore(new StoreSettings(dir.resolve("store"), 0640, -1, 0, d != Durability.NEVER));
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static StoreReader reader(Engine e) throws IOException {
        Engine.StoreInfo s = e.storeInfo();
        assertThat(s).isNotNull();
        return StoreReader.open(s.dir(), s.generation());
    }

    private static String valueOf(StoreReader r, String key) {
        StoreReader.Result got = r.lookup(b(key));
        return got instanceof StoreReader.Found f ? new String(f.value(), UTF_8) : null;
    }

    @ParameterizedTest
    @EnumSource(
            value = Durability.class,
            names = {"ALWAYS", "INTERVAL"})
    void acknowledgedChanges_areInTheStore(Durability d) throws Exception {
        try (Engine e = Engine.open(config(d))) {
            StoreReader r = reader(e);
            Results.Write w = e.set(b("a"), b("1"));
            e.awaitDurable(w.visibleVersion());
            assertThat(valueOf(r, "a")).isEqualTo("1");
            assertThat(((StoreReader.Found) r.lookup(b("a"))).version()).isEqualTo(w.version());
            e.awaitDurable(e.set(b("a"), b("22")).visibleVersion());
            assertThat(valueOf(r, "a")).isEqualTo("22");
            e.awaitDurable(e.delete(b("a"), 0).visibleVersion());
            assertThat(r.lookup(b("a"))).isSameAs(StoreReader.ABSENT);
            byte[] big = new byte[3 << 20];
            big[12345] = 7;
            e.awaitDurable(e.set(b("big"), big).visibleVersion());
            assertThat(((StoreReader.Found) r.lookup(b("big"))).value())
                    .as("any size is in the store")
                    .isEqualTo(big);
            assertThat(e.pendingChanges())
                    .as("no pending state is left once applied")
                    .isZero();
        }
    }

    @Test
    void keysTheFilesReadersMayNotRead_areInThePrivateSide() throws Exception {
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            StoreReader r = reader(e);
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(077), b("secret"), b("s"), 0, 0).visibleVersion()); // 0600
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(022), b("public"), b("p"), 0, 0).visibleVersion()); // 0644
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(027), b("team"), b("t"), 0, 0).visibleVersion()); // 0640 group 100
            assertThat(r.lookup(b("secret"))).isSameAs(StoreReader.UNKNOWN);
            assertThat(valueOf(r, "public")).isEqualTo("p");
            assertThat(r.lookup(b("team")))
                    .as("group 100 is not the files' group")
                    .isSameAs(StoreReader.UNKNOWN);
            e.awaitDurable(e.chmod(ALICE, b("secret"), false, 0644).visibleVersion());
            assertThat(valueOf(r, "secret")).as("chmod made it readable by all").isEqualTo("s");
            e.awaitDurable(e.chmod(ALICE, b("public"), false, 0600).visibleVersion());
            assertThat(r.lookup(b("public"))).as("chmod made it private").isSameAs(StoreReader.UNKNOWN);
            long gid = ((Number) Files.getAttribute(e.storeInfo().dir().resolve("root"), "unix:gid")).longValue();
            e.awaitDurable(e.chown(Caller.ROOT, b("team"), false, -1, gid).visibleVersion());
            assertThat(valueOf(r, "team"))
                    .as("now in the files' group, which may read it")
                    .isEqualTo("t");
            assertThat(e.get(ALICE, b("public")).entry().owner()).isEqualTo(new Owner(1001, 100, 0600));
        }
    }

    /**
     * A chmod 600 whose journal record the disk refuses has changed the engine's state already (the
     * socket answers PERMISSION_DENIED) but will never reach the store: the failed journal retires
     * the public side, so the value is not left readable there.
     */
    @Test
    void journalFailure_retiresThePublicSide_soARefusedChmodLeavesNothingReadable() throws Exception {
        System.setProperty(Faults.PROPERTY, "fail-write-after=1");
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            System.clearProperty(Faults.PROPERTY);
            StoreReader r = reader(e);
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(022), b("public"), b("p"), 0, 0).visibleVersion());
            assertThat(valueOf(r, "public")).isEqualTo("p");
            long v = e.chmod(ALICE, b("public"), false, 0600).visibleVersion();
            assertThatThrownBy(() -> e.awaitDurable(v)).isInstanceOf(JournalFailedException.class);
            assertThat(r.retired()).isTrue();
            assertThat(r.lookup(b("public"))).isSameAs(StoreReader.UNKNOWN);
            assertThat(e.storeFailed()).isTrue();
            assertThat(e.storeInfo()).as("no store is offered to new clients").isNull();
        } finally {
            System.clearProperty(Faults.PROPERTY);
        }
    }

    @Test
    void cleanRestart_continuesTheStore_withoutReplaying() throws Exception {
        StoreReader old;
        long generation;
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            for (int i = 0; i < 1000; i++) {
                e.set(b("k" + i), b("v" + i));
            }
            e.awaitDurable(e.set(b("k"), b("v1")).visibleVersion());
            old = reader(e);
            generation = e.storeInfo().generation();
        }
        assertThat(old.retired()).as("closed: readers go back to the socket").isTrue();
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            assertThat(e.recovery().storeContinued()).isTrue();
            assertThat(e.recovery().storeRecords()).isZero();
            assertThat(e.storeInfo().generation()).isEqualTo(generation);
            assertThat(old.retired()).as("the same store, live again").isFalse();
            assertThat(valueOf(old, "k")).isEqualTo("v1");
            assertThat(valueOf(reader(e), "k999")).isEqualTo("v999");
            assertThat(e.stats().keys()).isEqualTo(1001);
            assertThat(e.stats().liveBytes())
                    .isEqualTo(e.accounts()
                            .row(new LimitCodec.Principal(LimitCodec.Kind.USER, 0))
                            .usage()
                            .bytes());
        }
    }

    /**
     * As after kill -9: nothing closed cleanly. The store is continued (same boot, same data
     * directory), only the journal after its checkpoint is replayed, usage is recounted, and every
     * acknowledged change is there, sessions included.
     */
    @ParameterizedTest
    @EnumSource(
            value = Durability.class,
            names = {"ALWAYS", "INTERVAL"})
    void crash_continuesTheStore_andKeepsEveryAcknowledgedChange(Durability d) throws Exception {
        long client = Engine.sessionKey(0, 77);
        Engine e = Engine.open(config(d));
        for (int i = 0; i < 500; i++) {
            e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
        }
        Results.Write sequenced = e.set(b("seq"), b("once"), client, 1);
        e.awaitDurable(sequenced.visibleVersion());
        e.awaitDurable(e.delete(b("k7"), 0).visibleVersion());
        e.awaitDurable(e.chmod(ALICE, b("nothing"), false, 0600).visibleVersion());
        e.haltForTest();
        try (Engine again = Engine.open(config(d))) {
            assertThat(again.recovery().storeContinued()).isTrue();
            assertThat(again.get(b("k499")).entry().value()).isEqualTo(b("v499"));
            assertThat(again.get(b("k7")).entry()).isNull();
            assertThat(again.stats().keys()).isEqualTo(500);
            Results.Write resent = again.set(b("seq"), b("twice"), client, 1);
            assertThat(resent.version()).as("remembered, not applied again").isEqualTo(sequenced.version());
            assertThat(again.get(b("seq")).entry().value()).isEqualTo(b("once"));
            assertThat(valueOf(reader(again), "k1")).isEqualTo("v1");
        }
    }

    @Test
    void storeOfAnotherDataDirectory_isRetiredAndRebuilt() throws Exception {
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            e.awaitDurable(e.set(b("k"), b("v")).visibleVersion());
        }
        StoreReader other;
        try (MappedStore s =
                MappedStore.create(new MappedStore.Settings(dir.resolve("store"), 0640, -1, o -> true), 1)) {
            other = StoreReader.open(s.publicDir(), s.generation());
            assertThat(other.lookup(b("k"))).isSameAs(StoreReader.ABSENT);
            s.close(true);
        }
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            assertThat(e.recovery().storeContinued()).isFalse();
            assertThat(e.recovery().storeRebuiltBecause()).contains("another data directory");
            assertThat(valueOf(reader(e), "k")).isEqualTo("v");
            assertThat(other.retired()).isTrue();
        }
    }

    @Test
    void neverMode_offersNoDirectReads() throws Exception {
        try (Engine e = Engine.open(config(Durability.NEVER))) {
            e.set(b("k"), b("v"));
            assertThat(e.storeInfo()).isNull();
            assertThat(e.get(b("k")).entry().value()).isEqualTo(b("v"));
        }
    }

    /** SCAN sees queued changes not yet in the store (the pending states), merged in key order. */
    @Test
    void scan_mergesPendingChangesWithTheStore() throws Exception {
        try (Engine e = Engine.open(config(Durability.NEVER))) {
            for (String k : List.of("a/1", "a/3", "a/5", "b/1")) {
                e.set(b(k), b("x"));
            }
            e.awaitDurable(e.set(b("a/9"), b("x")).visibleVersion());
            e.delete(b("a/3"), 0);
            e.set(b("a/4"), b("y"));
            List<String> keys = new ArrayList<>();
            byte[] cursor = new byte[0];
            do {
                Results.ScanPage p = e.scan(b("a/"), cursor, 2, 1 << 20, 0);
                p.keys().forEach(k -> keys.add(new String(k.key(), UTF_8)));
                cursor = p.nextCursor();
            } while (cursor.length > 0);
            assertThat(keys).containsExactly("a/1", "a/4", "a/5", "a/9");
        }
    }

    /**
     * Writers on several threads acknowledge (awaitDurable) and then record the version; readers
     * read the recorded version first, then the store: the store's version must never be older than
     * one acknowledged before the lookup, and a value must be whole. Bounded by count and time.
     */
    @ParameterizedTest
    @EnumSource(
            value = Durability.class,
            names = {"ALWAYS", "INTERVAL"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void readers_neverSeeOlderThanAcknowledged(Durability d) throws Exception {
        int keys = 8;
        try (Engine e = Engine.open(config(d))) {
            StoreReader r = reader(e);
            AtomicLong[] acked = new AtomicLong[keys];
            for (int k = 0; k < keys; k++) {
                acked[k] = new AtomicLong();
            }
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<String> problem = new AtomicReference<>();
            AtomicLong hits = new AtomicLong();
            for (int k = 0; k < keys; k++) {
                e.awaitDurable(e.set(b("key" + k), value(0)).visibleVersion());
            }
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (long n = 0; !done.get() && problem.get() == null; n++) {
                        int k = (int) (n % keys);
                        long floor = acked[k].get();
                        StoreReader.Result got = r.lookup(b("key" + k));
                        if (!(got instanceof StoreReader.Found h)) {
                            if (got == StoreReader.ABSENT) {
                                problem.compareAndSet(null, "key" + k + ": absent");
                            }
                            continue; // kept changing for 64 tries: the client would ask the socket
                        }
                        hits.incrementAndGet();
                        long inValue = ByteBuffer.wrap(h.value()).getLong();
                        if (h.value().length != 8 + (int) (inValue % 50)) {
                            problem.compareAndSet(null, "key" + k + ": torn value");
                        }
                        if (h.version() < floor) {
                            problem.compareAndSet(
                                    null, "key" + k + ": version " + h.version() + " older than acknowledged " + floor);
                        }
                    }
                }));
            }
            List<Thread> writers = new ArrayList<>();
            AtomicLong counter = new AtomicLong();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(d == Durability.ALWAYS ? 10 : 20);
            for (int t = 0; t < 3; t++) {
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 20_000 && System.nanoTime() < deadline && problem.get() == null; i++) {
                            long n = counter.incrementAndGet();
                            int k = (int) (n % keys);
                            Results.Write w = e.set(b("key" + k), value(n));
                            e.awaitDurable(w.visibleVersion());
                            acked[k].accumulateAndGet(w.version(), Math::max); // versions of a key grow in apply order
                        }
                    } catch (JournalFailedException ex) {
                        problem.compareAndSet(null, ex.toString());
                    }
                }));
            }
            for (Thread t : writers) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
            done.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(problem.get()).isNull();
            assertThat(hits.get()).isPositive();
            assertThat(e.pendingChanges()).isZero();
        }
    }

    /** A value that names its counter and whose length depends on it (8 to 57 bytes). */
    private static byte[] value(long n) {
        return ByteBuffer.allocate(8 + (int) (n % 50)).putLong(n).array();
    }
}
