package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.LimitCodec.Amounts;
import io.sharedmap.protocol.LimitCodec.Kind;
import io.sharedmap.protocol.LimitCodec.Principal;
import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.security.PermissionDeniedException;
import io.sharedmap.server.security.QuotaExceededException;
import io.sharedmap.server.security.RefusedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key permissions and usage limits in the engine, with callers of made-up uids (the engine trusts
 * the identity it is given; sharedmap-tests' MultiUserTest checks that the daemon takes it from the
 * kernel, with real users).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EngineSecurityTest {
    private static final Caller ALICE = new Caller(1001, 100, new long[] {100}, false);
    private static final Caller BOB = new Caller(1002, 100, new long[] {100}, false);
    private static final Caller CAROL = new Caller(1003, 200, new long[] {200}, false);
    private static final Caller ROOT = Caller.ROOT;

    @TempDir
    Path dir;

    private Engine open() throws IOException {
        return Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30));
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static Results.Write set(Engine e, Caller c, String key, String value) throws Exception {
        Results.Write w = e.set(c, c.newOwner(022), b(key), b(value), 0, 0);
        e.awaitDurable(w.visibleVersion());
        return w;
    }

    private static String get(Engine e, Caller c, String key) throws PermissionDeniedException {
        Results.Lookup l = e.get(c, b(key));
        return l.entry() == null ? null : new String(l.entry().value(), UTF_8);
    }

    private static List<String> scan(Engine e, Caller c) {
        return e.scan(c, new byte[0], new byte[0], 1000, 1 << 20, 14).keys().stream()
                .map(k -> new String(k.key(), UTF_8))
                .toList();
    }

    @Test
    void newKey_getsCreatorAndUmask() throws Exception {
        try (Engine e = open()) {
            set(e, ALICE, "k", "v");
            Owner o = e.get(b("k")).entry().owner();
            assertThat(o).isEqualTo(new Owner(1001, 100, 0644));
            Results.Write w = e.set(ALICE, ALICE.newOwner(077), b("private"), b("v"), 0, 0);
            assertThat(w.outcome()).isEqualTo(Results.Outcome.CREATED);
            assertThat(e.get(b("private")).entry().owner().mode()).isEqualTo(0600);
        }
    }

    @Test
    void mode0644_othersReadButNeverWrite_valueUnchanged() throws Exception {
        try (Engine e = open()) {
            set(e, ALICE, "k", "alice");
            assertThat(get(e, BOB, "k")).isEqualTo("alice");
            assertThat(get(e, CAROL, "k")).isEqualTo("alice");
            assertThatThrownBy(() -> set(e, BOB, "k", "bob"))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("may not write key 'k'")
                    .hasMessageContaining("rw-r--r--");
            assertThatThrownBy(() -> e.delete(CAROL, b("k"), 0, 0, 0)).isInstanceOf(PermissionDeniedException.class);
            assertThatThrownBy(() -> e.compareAndSet(BOB, BOB.newOwner(022), b("k"), 1, b("x"), 0, 0))
                    .isInstanceOf(PermissionDeniedException.class);
            assertThat(get(e, ALICE, "k")).isEqualTo("alice");
        }
    }

    @Test
    void chmod_ownerOnly_thenGroupAndOthersFollowTheMode() throws Exception {
        try (Engine e = open()) {
            set(e, ALICE, "k", "alice");
            assertThatThrownBy(() -> e.chmod(BOB, b("k"), false, 0666)).isInstanceOf(PermissionDeniedException.class);

            Results.Changed c = e.chmod(ALICE, b("k"), false, 0660);
            assertThat(c.changed()).isEqualTo(1);
            long version = e.get(b("k")).entry().version();
            set(e, BOB, "k", "bob"); // group may write now
            assertThat(e.get(b("k")).entry().version()).isGreaterThan(version);
            assertThatThrownBy(() -> get(e, CAROL, "k")).isInstanceOf(PermissionDeniedException.class);
            assertThat(scan(e, CAROL)).doesNotContain("k");
            assertThat(scan(e, BOB)).contains("k");

            e.chmod(ALICE, b("k"), false, 0600);
            assertThatThrownBy(() -> get(e, BOB, "k")).isInstanceOf(PermissionDeniedException.class);
            assertThat(get(e, ROOT, "k")).isEqualTo("bob");
            assertThat(e.get(b("k")).entry().owner().uid())
                    .as("an update keeps the owner")
                    .isEqualTo(1001);
        }
    }

    @Test
    void chmodPrefix_changesOwnKeysAndSkipsOthers() throws Exception {
        try (Engine e = open()) {
            set(e, ALICE, "app:1", "a");
            set(e, ALICE, "app:2", "a");
            set(e, BOB, "app:3", "b");
            set(e, ALICE, "other", "a");

            Results.Changed c = e.chmod(ALICE, b("app:"), true, 0600);

            assertThat(c.changed()).isEqualTo(2);
            assertThat(c.skipped()).isEqualTo(1);
            assertThat(e.get(b("app:3")).entry().owner().mode()).isEqualTo(0644);
            assertThat(e.get(b("other")).entry().owner().mode()).isEqualTo(0644);
        }
    }

    @Test
    void chown_onlyRootOrAdmin_andUsageMoves() throws Exception {
        try (Engine e = open()) {
            set(e, ALICE, "k", "12345");
            assertThatThrownBy(() -> e.chown(ALICE, b("k"), false, 1003, -1))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("--admin-group");
            Caller admin = new Caller(1009, 300, new long[] {300}, true);

            e.chown(admin, b("k"), false, 1003, 200);

            assertThat(e.get(b("k")).entry().owner()).isEqualTo(new Owner(1003, 200, 0644));
            assertThat(e.accounts().row(new Principal(Kind.USER, 1001)).usage()).isEqualTo(new Amounts(0, 0, 0));
            assertThat(e.accounts().row(new Principal(Kind.USER, 1003)).usage()).isEqualTo(new Amounts(1, 6, 0));
            assertThat(e.accounts().row(new Principal(Kind.GROUP, 200)).usage()).isEqualTo(new Amounts(1, 6, 0));
        }
    }

    @Test
    void chownByAdmin_respectsTheNewOwnersLimits_rootsDoesNot() throws Exception {
        try (Engine e = open()) {
            e.accounts().set(new Principal(Kind.USER, 1003), new Amounts(1, -1, -1));
            set(e, CAROL, "carols", "1");
            set(e, ALICE, "a", "1");
            set(e, ALICE, "b", "1");
            Caller admin = new Caller(1009, 300, new long[] {300}, true);

            assertThatThrownBy(() -> e.chown(admin, b("a"), false, 1003, -1))
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("uid 1003")
                    .hasMessageContaining("keys limit");
            assertThat(e.get(b("a")).entry().owner().uid()).isEqualTo(1001);
            assertThat(e.accounts().row(new Principal(Kind.USER, 1001)).usage().keys())
                    .isEqualTo(2);

            e.chown(admin, b("a"), false, -1, 300); // only the group changes: the user's usage is not counted twice
            e.chown(ROOT, b("b"), false, 1003, -1);
            assertThat(e.accounts().row(new Principal(Kind.USER, 1003)).usage().keys())
                    .as("root may exceed")
                    .isEqualTo(2);
            assertThat(e.accounts().row(new Principal(Kind.GROUP, 300)).usage().keys())
                    .isEqualTo(1);
            assertThat(e.accounts().row(new Principal(Kind.GROUP, 100)).usage().keys())
                    .isEqualTo(1);
        }
    }

    @Test
    void userKeyLimit_refusesTheNextCreate_namingLimitUsageAndRequest() throws Exception {
        try (Engine e = open()) {
            e.accounts().set(new Principal(Kind.USER, 1001), new Amounts(2, -1, -1));
            set(e, ALICE, "a", "1");
            set(e, ALICE, "b", "1");
            set(e, ALICE, "a", "updating an existing key takes no new key");

            assertThatThrownBy(() -> set(e, ALICE, "c", "1"))
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("uid 1001")
                    .hasMessageContaining("keys limit")
                    .hasMessageContaining("limit 2")
                    .hasMessageContaining("usage 2")
                    .hasMessageContaining("needs 1 more");
            assertThat(e.get(b("c")).entry()).as("nothing stored").isNull();

            e.delete(ALICE, b("b"), 0, 0, 0);
            set(e, ALICE, "c", "1");
            set(e, ROOT, "root-is-never-limited", "1");
            assertThat(e.accounts().row(new Principal(Kind.USER, 1001)).usage().keys())
                    .isEqualTo(2);
        }
    }

    @Test
    void bytesLimit_chargesTheOwnerForGrowth_andShrinkingAlwaysWorks() throws Exception {
        try (Engine e = open()) {
            e.accounts().set(new Principal(Kind.USER, 1001), new Amounts(-1, 20, -1));
            set(e, ALICE, "k", "0123456789"); // 1 + 10 bytes
            e.chmod(ALICE, b("k"), false, 0666);

            assertThatThrownBy(() -> set(e, BOB, "k", "0123456789abcdefghij"))
                    .as("bob's write grows alice's usage")
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("belongs to another user", "10 more bytes", "owner")
                    .as("alice's limit and usage are not bob's to see")
                    .hasMessageNotContaining("usage")
                    .hasMessageNotContaining("20");
            assertThatThrownBy(() -> set(e, ALICE, "k", "0123456789abcdefghij"))
                    .as("the owner sees the figures")
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("bytes limit: limit 20, usage 11");
            assertThat(get(e, ALICE, "k")).isEqualTo("0123456789");
            set(e, BOB, "k", "x");
            assertThat(e.accounts().row(new Principal(Kind.USER, 1001)).usage().bytes())
                    .isEqualTo(2);
            assertThat(e.accounts().row(new Principal(Kind.USER, 1002)).usage().bytes())
                    .isZero();
        }
    }

    @Test
    void groupLimit_refusesEvenWithoutUserLimit_andGivesBackTheUsersShare() throws Exception {
        try (Engine e = open()) {
            e.accounts().set(new Principal(Kind.GROUP, 100), new Amounts(1, -1, -1));
            set(e, ALICE, "a", "1");

            assertThatThrownBy(() -> set(e, BOB, "b", "1"))
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("group")
                    .hasMessageContaining("gid 100");

            assertThat(e.accounts().row(new Principal(Kind.USER, 1002)).usage()).isEqualTo(new Amounts(0, 0, 0));
            set(e, CAROL, "c", "1"); // another group
        }
    }

    @Test
    void defaultLimits_applyToUsersWithoutTheirOwn() throws Exception {
        try (Engine e = open()) {
            e.accounts().set(Principal.DEFAULT, new Amounts(1, -1, -1));
            e.accounts().set(new Principal(Kind.USER, 1003), new Amounts(5, -1, -1));
            set(e, ALICE, "a1", "1");
            assertThatThrownBy(() -> set(e, ALICE, "a2", "1"))
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("default keys limit");
            set(e, CAROL, "c1", "1");
            set(e, CAROL, "c2", "1");
        }
    }

    /**
     * A user's own limits replace the default's one by one: limiting alice's connections leaves her
     * under the default keys limit; {@code unlimited} exempts her from it. Her row shows what binds her.
     */
    @Test
    void partialOwnLimits_fallBackToTheDefault_limitByLimit() throws Exception {
        Principal alice = new Principal(Kind.USER, 1001);
        try (Engine e = open()) {
            e.accounts().set(Principal.DEFAULT, new Amounts(1, -1, -1));
            e.accounts().set(alice, new Amounts(-1, -1, 5));
            assertThat(e.accounts().row(alice).limits()).isEqualTo(new Amounts(1, -1, 5));
            set(e, ALICE, "a1", "1");
            assertThatThrownBy(() -> set(e, ALICE, "a2", "1"))
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("default keys limit");
            e.accounts().set(alice, new Amounts(LimitCodec.UNLIMITED, -1, -1));
            assertThat(e.accounts().row(alice).limits()).isEqualTo(new Amounts(LimitCodec.UNLIMITED, -1, 5));
            set(e, ALICE, "a2", "1");
            set(e, ALICE, "a3", "1");
            e.accounts().set(alice, new Amounts(2, -1, -1));
            assertThatThrownBy(() -> set(e, ALICE, "a4", "1"))
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("its keys limit")
                    .hasMessageNotContaining("default");
        }
    }

    /**
     * The default group (the seed's system group): every user without limits of its own is charged to
     * it too, so its limits bound all of them together. A refusal there gives the user's share back.
     * Giving a user limits of its own takes its usage out; removing them puts it back. Root is not in
     * it. Usage is the same after a restart.
     */
    @Test
    void defaultGroup_boundsEveryUserWithoutOwnLimits_together() throws Exception {
        Principal alice = new Principal(Kind.USER, 1001);
        Principal bob = new Principal(Kind.USER, 1002);
        try (Engine e = open()) {
            e.accounts().set(Principal.DEFAULT_GROUP, new Amounts(3, -1, -1));
            e.accounts().set(new Principal(Kind.USER, 1003), new Amounts(10, -1, -1)); // carol: her own limits
            set(e, ALICE, "a1", "1");
            set(e, ALICE, "a2", "1");
            set(e, BOB, "b1", "1");
            set(e, ROOT, "r1", "1");
            set(e, CAROL, "c1", "1");
            assertThat(e.accounts().row(Principal.DEFAULT_GROUP).usage().keys()).isEqualTo(3);
            assertThatThrownBy(() -> set(e, BOB, "b2", "1"))
                    .isInstanceOf(QuotaExceededException.class)
                    .hasMessageContaining("the default group")
                    .hasMessageContaining("limit 3, usage 3");
            assertThat(e.accounts().row(bob).usage().keys())
                    .as("bob's share given back")
                    .isEqualTo(1);
            assertThat(get(e, BOB, "b2")).isNull();

            e.accounts().set(alice, new Amounts(10, -1, -1)); // alice leaves the default group with her 2 keys
            assertThat(e.accounts().row(Principal.DEFAULT_GROUP).usage().keys()).isEqualTo(1);
            set(e, BOB, "b2", "1");
            set(e, BOB, "b3", "1");
            e.accounts().unset(alice, new Amounts(1, 1, 1)); // and comes back with them: over the limit
            assertThat(e.accounts().row(Principal.DEFAULT_GROUP).usage().keys()).isEqualTo(5);
            assertThatThrownBy(() -> set(e, ALICE, "a3", "1")).isInstanceOf(QuotaExceededException.class);
            e.delete(BOB, b("b3"), 0, 0, 0);
            assertThat(e.accounts().row(Principal.DEFAULT_GROUP).usage().keys()).isEqualTo(4);
        }
        try (Engine e = open()) {
            assertThat(e.accounts().row(Principal.DEFAULT_GROUP).usage().keys())
                    .as("after a restart")
                    .isEqualTo(4);
            assertThat(e.accounts().row(Principal.DEFAULT_GROUP).limits()).isEqualTo(new Amounts(3, -1, -1));
        }
    }

    /** Alice and bob race for the default group's last keys: exactly its limit is created. */
    @Test
    void raceToTheDefaultGroupsLimit_neverOvershoots() throws Exception {
        long limit = 100;
        try (Engine e = Engine.open(new EngineConfig(dir, Durability.NEVER, 1000, 1L << 30))) {
            e.accounts().set(Principal.DEFAULT_GROUP, new Amounts(limit, -1, -1));
            int total = race(e, 8, 40, t -> t % 2 == 0 ? ALICE : BOB);
            assertThat(total).isEqualTo(limit);
            assertThat(e.accounts().row(Principal.DEFAULT_GROUP).usage().keys()).isEqualTo(limit);
            assertThat(e.accounts().row(new Principal(Kind.USER, 1001)).usage().keys()
                            + e.accounts()
                                    .row(new Principal(Kind.USER, 1002))
                                    .usage()
                                    .keys())
                    .isEqualTo(limit);
        }
    }

    /**
     * {@code threads} threads, released together, each try to create {@code perThread} distinct keys
     * as {@code callerOf(thread)}; returns how many were created (the rest refused for a limit).
     */
    private static int race(Engine e, int threads, int perThread, IntFunction<Caller> callerOf) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Caller c = callerOf.apply(t);
                int id = t;
                results.add(pool.submit(() -> {
                    go.await();
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        try {
                            e.set(c, c.newOwner(022), b("t" + id + ":" + i), b("v"), 0, 0);
                            ok++;
                        } catch (QuotaExceededException refused) {
                            // expected once the limit is reached
                        }
                    }
                    return ok;
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(30, TimeUnit.SECONDS);
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void raceToTheLimit_neverOvershoots() throws Exception {
        int threads = 8;
        int perThread = 40;
        long limit = 100;
        try (Engine e = Engine.open(new EngineConfig(dir, Durability.NEVER, 1000, 1L << 30))) {
            e.accounts().set(new Principal(Kind.USER, 1001), new Amounts(limit, -1, -1));
            int total = race(e, threads, perThread, t -> ALICE);
            assertThat(total).isEqualTo(limit);
            assertThat(e.accounts().row(new Principal(Kind.USER, 1001)).usage().keys())
                    .isEqualTo(limit);
            assertThat(e.stats().keys()).isEqualTo(limit);
        }
    }

    @Test
    void ownersModesAndUsage_surviveRestartFromJournalAndFromSnapshot() throws Exception {
        try (Engine e = open()) {
            e.accounts().set(new Principal(Kind.USER, 1001), new Amounts(10, 1000, 5));
            set(e, ALICE, "private", "secret");
            e.chmod(ALICE, b("private"), false, 0600);
            set(e, ALICE, "gone", "x");
            e.chmod(ALICE, b("gone"), false, 0600);
            e.delete(ALICE, b("gone"), 0, 0, 0);
            set(e, CAROL, "gone", "carol's now"); // the META of the old key must not apply to this one
        }
        for (int round = 0; round < 2; round++) {
            try (Engine e = open()) {
                assertThatThrownBy(() -> get(e, BOB, "private")).isInstanceOf(PermissionDeniedException.class);
                assertThat(e.get(b("gone")).entry().owner()).isEqualTo(new Owner(1003, 200, 0644));
                assertThat(e.accounts().row(new Principal(Kind.USER, 1001)))
                        .satisfies(r -> assertThat(r.limits()).isEqualTo(new Amounts(10, 1000, 5)))
                        .satisfies(r -> assertThat(r.usage()).isEqualTo(new Amounts(1, 13, 0)));
                if (round == 0) {
                    e.snapshot(); // the second round recovers from the snapshot
                }
            }
        }
    }

    @Test
    void format1Data_isReadAsRootOwnedAndWritableByAll() throws Exception {
        RecordCodec codec = new RecordCodec();
        byte[] header = codec.fileHeader(SEGMENT_MAGIC, 1, 0);
        ByteBuffer.wrap(header).putInt(8, 1); // format version 1 (not covered by the header CRC)
        ByteBuffer record = ByteBuffer.allocate(RecordCodec.recordLength(0, 3, 5));
        codec.writeRecordHeader(record, TYPE_PUT, 0, 0, 0, b("old"), b("value"), 1, null, 0);
        record.put(b("old")).put(b("value")).flip();
        try (FileChannel c = FileChannel.open(
                dir.resolve(segmentName(1)), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(header));
            c.write(record);
        }
        try (Engine e = open()) {
            assertThat(e.get(b("old")).entry().owner()).isEqualTo(Owner.LEGACY);
            set(e, CAROL, "old", "carol may write it");
            assertThat(get(e, BOB, "old")).isEqualTo("carol may write it");
        }
        // Upgraded at start: a snapshot in the current format replaced the format-1 segment.
        assertThat(Files.exists(dir.resolve(segmentName(1)))).isFalse();
        try (Engine e = open()) {
            assertThat(e.get(b("old")).entry().owner()).isEqualTo(Owner.LEGACY);
            assertThat(get(e, BOB, "old")).isEqualTo("carol may write it");
        }
    }

    @Test
    void refusedSequencedChange_isForgottenNotRemembered() throws Exception {
        try (Engine e = open()) {
            set(e, ALICE, "k", "alice");
            assertThatThrownBy(() -> e.set(BOB, BOB.newOwner(022), b("k"), b("bob"), 77, 1))
                    .isInstanceOf(RefusedException.class);
            e.chmod(ALICE, b("k"), false, 0666);
            Results.Write w = e.set(BOB, BOB.newOwner(022), b("k"), b("bob"), 77, 1);
            assertThat(w.outcome())
                    .as("a resend after the refusal is evaluated anew")
                    .isEqualTo(Results.Outcome.UPDATED);
        }
    }
}
