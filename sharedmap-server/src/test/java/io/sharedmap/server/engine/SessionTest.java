package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Results.Outcome;
import io.sharedmap.server.engine.Results.Write;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Exactly-once for sequenced changes: a repeat is answered with the first outcome and not applied. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionTest {
    private static final long CLIENT = 0x5EED_0001L;

    @TempDir
    Path dir;

    private Engine open() throws IOException {
        return Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30));
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static Write durable(Engine e, Write w) throws IOException {
        e.awaitDurable(w.visibleVersion());
        return w;
    }

    @Test
    void compareAndSet_resentAfterRestart_sameOutcomeAppliedOnce() throws Exception {
        Write first;
        long before;
        try (Engine e = open()) {
            before = durable(e, e.set(b("counter"), b("1"))).version();
            first = durable(e, e.compareAndSet(b("counter"), before, b("2"), CLIENT, 1));
            assertThat(first.outcome()).isEqualTo(Outcome.UPDATED);
        }
        try (Engine e = open()) {
            Write again = e.compareAndSet(b("counter"), before, b("2"), CLIENT, 1);
            assertThat(again).isEqualTo(first);
            assertThat(e.get(b("counter")).entry().version())
                    .as("not applied twice")
                    .isEqualTo(first.version());
            assertThat(e.stats().lastVersion()).isEqualTo(first.version());
        }
    }

    @Test
    void setAndDelete_resentAfterSnapshotAndRestart_sameOutcomes() throws Exception {
        Write created;
        Write deleted;
        try (Engine e = open()) {
            created = durable(e, e.set(b("a"), b("x"), CLIENT, 10));
            assertThat(created.outcome()).isEqualTo(Outcome.CREATED);
            durable(e, e.set(b("b"), b("y"), CLIENT, 11));
            deleted = durable(e, e.delete(b("b"), 0, CLIENT, 12));
            assertThat(deleted.outcome()).isEqualTo(Outcome.DELETED);
            e.snapshot(); // the outcomes now live in the snapshot; their segment is pruned
        }
        try (Engine e = open()) {
            assertThat(e.set(b("a"), b("other"), CLIENT, 10)).isEqualTo(created);
            assertThat(new String(e.get(b("a")).entry().value(), UTF_8)).isEqualTo("x");
            assertThat(e.delete(b("b"), 0, CLIENT, 12)).isEqualTo(deleted);
            Write next = e.set(b("b"), b("z"), CLIENT, 13);
            assertThat(next.outcome()).as("a new sequence number is applied").isEqualTo(Outcome.CREATED);
        }
    }

    @Test
    void conflict_remembered_resendGetsTheSameAnswerEvenAfterTheKeyChanged() throws Exception {
        try (Engine e = open()) {
            Write conflict = e.compareAndSet(b("k"), 99, b("v"), CLIENT, 1);
            assertThat(conflict.outcome()).isEqualTo(Outcome.CONFLICT);
            durable(e, e.set(b("k"), b("x")));
            assertThat(e.compareAndSet(b("k"), 0, b("v"), CLIENT, 1))
                    .as("answered from memory")
                    .isEqualTo(conflict);
        }
    }

    /**
     * A pipeline of delete(k) (k absent: NOT_FOUND) then set(k, A), both replies lost, both resent
     * after a restart: the delete must get its first answer, not be evaluated again after the set.
     */
    @Test
    void pipelineDeleteThenSet_resentAfterRestart_deleteNotReappliedAfterTheSet() throws Exception {
        Write notFound;
        Write created;
        try (Engine e = open()) {
            notFound = e.delete(b("k"), 0, CLIENT, 1);
            assertThat(notFound.outcome()).isEqualTo(Outcome.NOT_FOUND);
            created = durable(e, e.set(b("k"), b("A"), CLIENT, 2));
            assertThat(created.outcome()).isEqualTo(Outcome.CREATED);
        }
        try (Engine e = open()) {
            Write again = e.delete(b("k"), 0, CLIENT, 1);
            assertThat(again.outcome()).as("what the client sees: outcome").isEqualTo(notFound.outcome());
            assertThat(again.version()).as("what the client sees: version").isEqualTo(notFound.version());
            assertThat(e.set(b("k"), b("A"), CLIENT, 2)).isEqualTo(created);
            assertThat(new String(e.get(b("k")).entry().value(), UTF_8)).isEqualTo("A");
        }
    }

    @Test
    void sequence_moreThanWindowBelowHighest_expired() throws Exception {
        try (Engine e = open()) {
            for (int seq = 1; seq <= SessionTable.WINDOW + 10; seq++) {
                e.set(b("k" + (seq % 7)), b("v"), CLIENT, seq);
            }
            assertThatThrownBy(() -> e.set(b("k"), b("v"), CLIENT, 5))
                    .isInstanceOf(Engine.SequenceException.class)
                    .hasMessageContaining("no longer known")
                    .satisfies(t ->
                            assertThat(((Engine.SequenceException) t).expired()).isTrue());
            Write recent = e.set(b("k"), b("again"), CLIENT, SessionTable.WINDOW + 10);
            assertThat(recent.outcome()).as("a recent one is still remembered").isIn(Outcome.CREATED, Outcome.UPDATED);
            assertThat(e.get(b("k")).entry()).as("the repeat was not applied").isNull();
        }
    }

    /** Session keys are per user and one-way: the same client id of two users is two sessions. */
    @Test
    void sessionKeys_differPerUser_andZeroMeansNoSession() {
        assertThat(Engine.sessionKey(1001, CLIENT))
                .isNotEqualTo(Engine.sessionKey(1002, CLIENT))
                .isNotEqualTo(CLIENT)
                .isNotZero()
                .isEqualTo(Engine.sessionKey(1001, CLIENT));
        assertThat(Engine.sessionKey(1001, 0)).isZero();
    }

    /**
     * A full table forgets the idlest session of the user holding the most: a user who opens
     * thousands of sessions evicts its own, and another user's idle session survives.
     */
    @Test
    void fullTable_evictsFromTheUserHoldingTheMost_notTheIdlestOverall() throws Exception {
        SessionTable t = new SessionTable();
        long victim = SessionTable.key(1001, 1);
        assertThat(t.begin(victim, 1001, 1)).isNull();
        t.complete(victim, 1, new Write(Outcome.CREATED, 1, 1));
        for (long id = 1; id <= SessionTable.MAX_SESSIONS + 100; id++) {
            long k = SessionTable.key(6666, id);
            assertThat(t.begin(k, 6666, 1)).isNull();
            t.complete(k, 1, new Write(Outcome.CREATED, id + 1, id + 1));
        }
        assertThat(t.size()).isLessThanOrEqualTo(SessionTable.MAX_SESSIONS);
        Write again = t.begin(victim, 1001, 1);
        assertThat(again)
                .as("the victim's idle session and its outcome survived")
                .isNotNull();
        assertThat(again.version()).isEqualTo(1);
        long evicted = SessionTable.key(6666, 1);
        assertThatThrownBy(() -> t.begin(evicted, 6666, 2))
                .as("the flooder's own oldest was forgotten")
                .isInstanceOf(SessionTable.SequenceRejectedException.class);
    }

    /** Every user holds one session: the newcomer has none to spare, so the idlest overall goes. */
    @Test
    void fullTable_ofOneSessionPerUser_evictsTheIdlestOverall() throws Exception {
        SessionTable t = new SessionTable();
        for (long uid = 1; uid <= SessionTable.MAX_SESSIONS; uid++) {
            long k = SessionTable.key(uid, 1);
            assertThat(t.begin(k, uid, 1)).isNull();
            t.complete(k, 1, new Write(Outcome.CREATED, uid, uid));
        }
        long newcomer = SessionTable.key(999_999, 1);
        assertThat(t.begin(newcomer, 999_999, 1)).isNull();
        t.complete(newcomer, 1, new Write(Outcome.CREATED, 1, 1));
        assertThat(t.size()).isEqualTo(SessionTable.MAX_SESSIONS);
        assertThatThrownBy(() -> t.begin(SessionTable.key(1, 1), 1, 2))
                .as("the idlest, user 1's, was forgotten")
                .isInstanceOf(SessionTable.SequenceRejectedException.class);
    }

    @Test
    void sameSequence_concurrentlyFromManyThreads_appliedOnce() throws Exception {
        int threads = 8;
        int changes = 300;
        try (Engine e = open()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Write>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    List<Write> mine = new ArrayList<>();
                    for (int seq = 1; seq <= changes; seq++) {
                        mine.add(durable(e, e.set(b("key" + (seq % 10)), b("value" + seq), CLIENT, seq)));
                    }
                    return mine;
                }));
            }
            start.countDown();
            List<Write> first = results.getFirst().get(50, TimeUnit.SECONDS);
            for (Future<List<Write>> f : results) {
                assertThat(f.get(50, TimeUnit.SECONDS)).isEqualTo(first);
            }
            pool.shutdown();
            assertThat(e.stats().lastVersion())
                    .as("each sequence number applied once")
                    .isEqualTo(changes);
        }
    }
}
