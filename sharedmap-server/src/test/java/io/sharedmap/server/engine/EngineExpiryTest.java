package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.os.store.StoreReader;
import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Results.Outcome;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.PermissionDeniedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys with a deadline, on a clock the test moves by hand (no sleeps; the sweeper runs only when the
 * test calls it): reads hide an expired key at once, the sweeper deletes it as a journaled change,
 * deadlines are renewed and removed, and kept across restarts, snapshots and a crash.
 */
class EngineExpiryTest {
    @TempDir
    Path dir;

    /** A clock the test sets; no sweeper of its own. */
    static final class Clock extends EngineHooks {
        volatile long now = 1_000_000;

        @Override
        public long nowMillis() {
            return now;
        }

        @Override
        public boolean sweepsOnItsOwn() {
            return false;
        }
    }

    private final Clock clock = new Clock();
    private static final Caller ALICE = new Caller(1001, 100, new long[] {100}, false);
    private static final Caller BOB = new Caller(1002, 100, new long[] {100}, false);

    private Engine open() throws IOException {
        return Engine.open(
                new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30)
                        .withStore(new StoreSettings(dir.resolve("store"), 0640, -1, 0, true)),
                clock);
    }

    /**
     * {@link #open()}, once the engine's own load of the store's deadlines has finished (the sweep
     * waits for it). For a test that counts hints: a load still scanning when the test's first write
     * reaches the store would note that key's deadline a second time.
     */
    private Engine openLoaded() throws IOException {
        Engine e = open();
        try {
            assertThat(e.expireAllDue()).as("a new store: nothing due").isZero();
        } catch (JournalFailedException | RuntimeException | AssertionError x) {
            e.close();
            throw x;
        }
        return e;
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static StoreReader reader(Engine e) throws IOException {
        Engine.StoreInfo s = e.storeInfo();
        assertThat(s).isNotNull();
        return StoreReader.open(s.dir(), s.generation());
    }

    private static boolean present(Engine e, String key) {
        return e.get(b(key)).entry() != null;
    }

    private static int scanned(Engine e, String prefix) {
        return e.scan(b(prefix), new byte[0], 1000, 1 << 20, 0).keys().size();
    }

    @Test
    void anExpiredKey_isAbsentToEveryRead_thenSweptAsAJournaledDelete() throws Exception {
        try (Engine e = openLoaded();
                StoreReader r = reader(e)) {
            Results.Write w = e.set(b("lease"), b("holder-1"), clock.now + 5_000);
            e.awaitDurable(w.visibleVersion());
            e.set(b("plain"), b("x"));
            assertThat(e.get(b("lease")).entry().deadline()).isEqualTo(clock.now + 5_000);
            assertThat(r.lookup(b("lease"), clock.now)).isInstanceOf(StoreReader.Found.class);
            assertThat(((StoreReader.Found) r.lookup(b("lease"), clock.now)).value())
                    .as("the direct read returns the value without the deadline's bytes")
                    .isEqualTo(b("holder-1"));

            clock.now += 4_999;
            assertThat(present(e, "lease")).isTrue();
            clock.now += 1; // the deadline itself: expired
            assertThat(present(e, "lease")).as("GET").isFalse();
            assertThat(scanned(e, "")).as("SCAN").isEqualTo(1);
            assertThat(r.lookup(b("lease"), clock.now))
                    .as("a direct read by the reader's clock, before the sweep")
                    .isSameAs(StoreReader.ABSENT);
            long before = e.stats().lastVersion();

            assertThat(e.expireAllDue()).isEqualTo(1);
            assertThat(e.stats().keysExpired()).isEqualTo(1);
            assertThat(e.stats().lastVersion())
                    .as("the expiry is a change with a version of its own")
                    .isEqualTo(before + 1);
            assertThat(r.lookup(b("lease"), clock.now - 10_000))
                    .as("swept: gone from the store, whatever the reader's clock")
                    .isSameAs(StoreReader.ABSENT);
            assertThat(present(e, "plain")).isTrue();
        }
    }

    @Test
    void aWriteOverAnExpiredKey_createsIt_afterTheExpiry() throws Exception {
        try (Engine e = openLoaded()) {
            Results.Write first = e.set(b("k"), b("1"), clock.now + 100);
            clock.now += 100;
            Results.Write cas = e.compareAndSet(b("k"), first.version(), b("2"));
            assertThat(cas.outcome())
                    .as("an expired key is absent, so its old version no longer matches")
                    .isEqualTo(Outcome.CONFLICT);
            assertThat(cas.version()).isZero();
            Results.Write again = e.set(b("k"), b("3"));
            assertThat(again.outcome()).isEqualTo(Outcome.CREATED);
            assertThat(again.version()).as("after the expiry's own version").isEqualTo(first.version() + 2);
            assertThat(e.get(b("k")).entry().deadline())
                    .as("a SET without a deadline has none")
                    .isZero();
            assertThat(e.stats().keysExpired()).isEqualTo(1);
            assertThat(e.expireAllDue()).as("the hint finds nothing left to do").isEqualTo(1);
            assertThat(e.stats().keysExpired()).isEqualTo(1);
            assertThat(present(e, "k")).isTrue();
        }
    }

    @Test
    void aDeadline_isRenewed_andRemoved_keepingValueAndVersion() throws Exception {
        try (Engine e = open()) {
            Results.Write w = e.set(b("lease"), b("me"), clock.now + 1_000);
            Results.Write renewed = e.setDeadline(b("lease"), w.version(), clock.now + 3_000);
            assertThat(renewed.outcome()).isEqualTo(Outcome.UPDATED);
            assertThat(renewed.version()).as("the entry's version stays").isEqualTo(w.version());
            assertThat(renewed.visibleVersion()).isGreaterThan(w.version());
            assertThat(e.setDeadline(b("lease"), w.version() + 100, clock.now + 9_000)
                            .outcome())
                    .as("a keep-alive for another holder's version")
                    .isEqualTo(Outcome.CONFLICT);
            clock.now += 2_000;
            e.expireAllDue();
            assertThat(present(e, "lease"))
                    .as("renewed past its first deadline")
                    .isTrue();
            assertThat(e.get(b("lease")).entry().value()).isEqualTo(b("me"));

            assertThat(e.setDeadline(b("lease"), 0, 0).outcome()).isEqualTo(Outcome.UPDATED);
            clock.now += 1_000_000;
            e.expireAllDue();
            assertThat(present(e, "lease")).as("persisted: never expires").isTrue();
            assertThat(e.get(b("lease")).entry().version()).isEqualTo(w.version());
            assertThat(e.setDeadline(b("absent"), 0, clock.now + 1).outcome()).isEqualTo(Outcome.NOT_FOUND);
        }
    }

    @Test
    void changingADeadline_needsWritePermission() throws Exception {
        try (Engine e = open()) {
            e.set(ALICE, ALICE.newOwner(022), b("a"), b("v"), clock.now + 1_000, 0, 0);
            assertThatThrownBy(() -> e.setDeadline(BOB, b("a"), 0, 0))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("may not change the deadline of key 'a'");
            assertThat(e.setDeadline(ALICE, b("a"), 0, 0).outcome()).isEqualTo(Outcome.UPDATED);
        }
    }

    @Test
    void deadlines_surviveACleanRestart_aSnapshot_andACrash() throws Exception {
        long deadline = clock.now + 10_000;
        try (Engine e = open()) {
            e.set(b("snap"), b("s"), deadline);
            e.snapshot(); // "snap" is in the snapshot, the journal before it pruned
            e.set(b("journal"), b("j"), deadline);
            e.set(b("renewed"), b("r"), deadline);
            e.setDeadline(b("renewed"), 0, deadline + 50_000);
            e.set(b("kept"), b("k"));
            e.awaitDurable(e.stats().lastVersion());
        }
        Engine crashed = open();
        for (String k : List.of("snap", "journal")) {
            assertThat(crashed.get(b(k)).entry().deadline()).as(k).isEqualTo(deadline);
        }
        assertThat(crashed.get(b("renewed")).entry().deadline()).isEqualTo(deadline + 50_000);
        crashed.set(b("crash"), b("c"), deadline);
        crashed.awaitDurable(crashed.stats().lastVersion());
        crashed.haltForTest(); // as kill -9: the store is left as it is, the journal is the record
        clock.now = deadline;
        try (Engine e = open();
                StoreReader r = reader(e)) {
            for (String k : List.of("snap", "journal", "crash")) {
                assertThat(present(e, k)).as(k + " expired across the restart").isFalse();
            }
            assertThat(e.expireAllDue())
                    .as("the sweeper found every deadline again in the store")
                    .isEqualTo(3);
            assertThat(e.stats().keysExpired()).isEqualTo(3);
            assertThat(present(e, "renewed")).isTrue();
            assertThat(present(e, "kept")).isTrue();
            assertThat(r.lookup(b("crash"), 0)).isSameAs(StoreReader.ABSENT);
        }
        try (Engine e = open()) {
            assertThat(present(e, "snap"))
                    .as("the expiries themselves are journaled")
                    .isFalse();
            clock.now = 0;
            assertThat(present(e, "journal"))
                    .as("deleted, not only hidden: a clock set back does not bring it back")
                    .isFalse();
        }
    }

    @Test
    void manyKeysDue_areExpiredInBoundedBatches() throws Exception {
        try (Engine e = openLoaded()) {
            int n = 2 * Engine.EXPIRE_BATCH + 17;
            long deadline = clock.now + 1;
            List<byte[]> keys = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] k = b("k" + i);
                keys.add(k);
                e.set(k, b("v"), deadline);
            }
            clock.now = deadline;
            assertThat(e.expireDue(Engine.EXPIRE_BATCH)).isEqualTo(Engine.EXPIRE_BATCH);
            assertThat(e.pendingChanges())
                    .as("a batch waits until its deletes are in the store")
                    .isZero();
            assertThat(e.expireAllDue()).isEqualTo(n - Engine.EXPIRE_BATCH);
            assertThat(e.stats().keysExpired()).isEqualTo(n);
            assertThat(e.stats().keys()).isZero();
            assertThat(scanned(e, "k")).isZero();
        }
    }
}
