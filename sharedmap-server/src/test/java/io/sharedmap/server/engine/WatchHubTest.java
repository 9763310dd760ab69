package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watches in the engine: every durable change, once, in version order, to the watches whose key or
 * prefix it matches and whose caller may read it; history from memory and from the journal on disk
 * (after a restart), refused once compacted away; a watch that is not drained is cut, naming where
 * to resume.
 */
class WatchHubTest {
    @TempDir
    Path dir;

    private static final Caller ALICE = new Caller(1001, 100, new long[] {100}, false);
    private static final Caller BOB = new Caller(1002, 200, new long[] {200}, false);

    /** A clock the test sets; no sweeper of its own. */
    private final EngineExpiryTest.Clock clock = new EngineExpiryTest.Clock();

    private Engine open() throws IOException {
        return Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30), clock);
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static String describe(WatchHub.Event e) {
        byte[] v = e.value();
        return e.version() + " " + e.kind() + " " + new String(e.key(), UTF_8)
                + (v != null ? "=" + new String(v, UTF_8) : "");
    }

    private static List<String> drain(WatchHub.Subscription s) {
        List<String> got = new ArrayList<>();
        WatchHub.Event e;
        while ((e = s.poll()) != null) {
            got.add(describe(e));
        }
        return got;
    }

    private static List<String> replayed(WatchHub.Subscription s) throws Exception {
        List<String> got = new ArrayList<>();
        s.replay(e -> got.add(describe(e)));
        return got;
    }

    @Test
    void everyKindOfChange_inVersionOrder_toTheWatchesItMatches() throws Exception {
        try (Engine e = open()) {
            AtomicInteger woken = new AtomicInteger();
            WatchHub.Subscription prefix =
                    e.watches().subscribe(Caller.ROOT, b("app/"), true, true, -1, woken::incrementAndGet);
            WatchHub.Subscription one = e.watches().subscribe(Caller.ROOT, b("app/a"), false, false, -1, () -> {});
            assertThat(replayed(prefix)).isEmpty();
            assertThat(replayed(one)).isEmpty();
            long v1 = e.set(b("app/a"), b("1")).version();
            e.set(b("other"), b("x"));
            long v3 = e.set(b("app/b"), b("2"), clock.now + 10).version();
            long v4 = e.chmod(Caller.ROOT, b("app/a"), false, 0600).visibleVersion();
            long v5 = e.setDeadline(b("app/a"), 0, clock.now + 50).visibleVersion();
            long v6 = e.delete(b("app/a"), 0).visibleVersion();
            clock.now += 10;
            e.expireAllDue();
            long v7 = e.stats().lastVersion();
            e.awaitDurable(v7);

            assertThat(drain(prefix))
                    .containsExactly(
                            v1 + " SET app/a=1",
                            v3 + " SET app/b=2",
                            v4 + " OWNER app/a",
                            v5 + " DEADLINE app/a",
                            v6 + " DELETE app/a",
                            v7 + " EXPIRED app/b");
            assertThat(drain(one))
                    .as("one key, without values")
                    .containsExactly(
                            v1 + " SET app/a", v4 + " OWNER app/a", v5 + " DEADLINE app/a", v6 + " DELETE app/a");
            assertThat(woken.get()).isPositive();
            prefix.close();
            e.awaitDurable(e.set(b("app/c"), b("3")).visibleVersion());
            assertThat(drain(prefix)).as("closed").isEmpty();
        }
    }

    @Test
    void aWatcher_seesOnlyKeysItMayRead() throws Exception {
        try (Engine e = open()) {
            WatchHub.Subscription bob = e.watches().subscribe(BOB, b(""), true, true, -1, () -> {});
            WatchHub.Subscription alice = e.watches().subscribe(ALICE, b(""), true, true, -1, () -> {});
            replayed(bob);
            replayed(alice);
            Owner secret = new Owner(1001, 100, 0600);
            long s1 = e.set(ALICE, secret, b("secret"), b("pw"), 0, 0).version();
            long p1 = e.set(ALICE, new Owner(1001, 100, 0644), b("public"), b("hello"), 0, 0)
                    .version();
            long s2 = e.delete(ALICE, b("secret"), 0, 0, 0).visibleVersion();
            e.awaitDurable(s2);
            assertThat(drain(bob)).containsExactly(p1 + " SET public=hello");
            assertThat(drain(alice))
                    .containsExactly(s1 + " SET secret=pw", p1 + " SET public=hello", s2 + " DELETE secret");
            // the same from the journal on disk, after a restart
        }
        try (Engine e = open()) {
            assertThat(replayed(e.watches().subscribe(BOB, b(""), true, true, 0, () -> {})))
                    .as("replayed from the journal: no name, no value of a key bob may not read")
                    .allMatch(line -> line.contains("public"))
                    .hasSize(1);
        }
    }

    @Test
    void history_comesFromTheJournal_alsoAfterARestart_untilCompacted() throws Exception {
        List<String> expected = new ArrayList<>();
        try (Engine e = open()) {
            for (int i = 0; i < 20; i++) {
                long v = e.set(b("k" + (i % 3)), b("v" + i)).version();
                expected.add(v + " SET k" + (i % 3) + "=v" + i);
            }
            long d = e.delete(b("k1"), 0).visibleVersion();
            expected.add(d + " DELETE k1");
            e.awaitDurable(d);
            assertThat(replayed(e.watches().subscribe(Caller.ROOT, b("k"), true, true, 0, () -> {})))
                    .as("from the journal: nobody watched, so nothing was kept in memory")
                    .isEqualTo(expected);
        }
        try (Engine e = open()) {
            long from = Long.parseLong(expected.get(4).split(" ")[0]);
            WatchHub.Subscription s = e.watches().subscribe(Caller.ROOT, b("k"), true, true, from, () -> {});
            assertThat(replayed(s)).as("from the journal").isEqualTo(expected.subList(5, expected.size()));
            long live = e.set(b("k9"), b("live")).version();
            e.awaitDurable(live);
            assertThat(drain(s)).as("then live, without a gap").containsExactly(live + " SET k9=live");

            long ahead = e.watches().publishedVersion() + 100;
            assertThatThrownBy(() -> e.watches().subscribe(Caller.ROOT, b("k"), true, true, ahead, () -> {}))
                    .isInstanceOf(WatchHub.HistoryCompactedException.class)
                    .hasMessageContaining("is ahead of this daemon's last version");

            e.snapshot(); // prunes the segments before it
            e.awaitDurable(e.set(b("k0"), b("after")).visibleVersion());
            assertThatThrownBy(() -> e.watches().subscribe(Caller.ROOT, b("k"), true, true, from, () -> {}))
                    .isInstanceOf(WatchHub.HistoryCompactedException.class)
                    .hasMessageContaining("compacted away")
                    .satisfies(x -> assertThat(((WatchHub.HistoryCompactedException) x).currentVersion())
                            .isEqualTo(e.watches().publishedVersion()));
        }
    }

    /**
     * The recent changes are kept in memory only while someone watches: with nobody watching, every
     * write's event would live through young collections for nothing. Whichever way the history
     * comes, a watch from the past gets every change, once, without a gap.
     */
    @Test
    void memoryHistory_keptOnlyWhileWatched_historyWholeEitherWay() throws Exception {
        try (Engine e = open()) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                long v = e.set(b("k" + i), b("a" + i)).version();
                expected.add(v + " SET k" + i + "=a" + i);
            }
            e.awaitDurable(e.stats().lastVersion());
            assertThat(e.watches().ringEvents()).as("nobody watches").isZero();

            WatchHub.Subscription watching = e.watches().subscribe(Caller.ROOT, b("k"), true, true, -1, () -> {});
            assertThat(replayed(watching)).isEmpty();
            List<String> live = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                long v = e.set(b("k" + i), b("b" + i)).version();
                live.add(v + " SET k" + i + "=b" + i);
            }
            e.awaitDurable(e.stats().lastVersion());
            expected.addAll(live);
            assertThat(e.watches().ringEvents()).as("kept while watched").isEqualTo(5);
            assertThat(drain(watching)).isEqualTo(live);
            WatchHub.Subscription fromPast = e.watches().subscribe(Caller.ROOT, b("k"), true, true, 0, () -> {});
            assertThat(replayed(fromPast))
                    .as("from the journal, then from memory, without a gap")
                    .isEqualTo(expected);

            watching.close();
            fromPast.close();
            assertThat(e.watches().watches()).isZero();
            long after = e.set(b("k0"), b("c")).version();
            e.awaitDurable(after);
            expected.add(after + " SET k0=c");
            assertThat(e.watches().ringEvents())
                    .as("dropped once the last watch ended")
                    .isZero();
            assertThat(replayed(e.watches().subscribe(Caller.ROOT, b("k"), true, true, 0, () -> {})))
                    .isEqualTo(expected);
        }
    }

    @Test
    void aWatchNotDrained_isCut_namingWhereToResume() throws Exception {
        try (Engine e = open()) {
            AtomicInteger woken = new AtomicInteger();
            WatchHub.Subscription slow =
                    e.watches().subscribe(Caller.ROOT, b("k"), true, false, -1, woken::incrementAndGet);
            replayed(slow);
            long first = 0;
            long last = 0;
            for (int i = 0; i < WatchHub.QUEUE_EVENTS + 10; i++) {
                last = e.set(b("k" + i), b("v")).version();
                first = first == 0 ? last : first;
            }
            e.awaitDurable(last);
            assertThat(slow.fellBehindAt())
                    .as("not yet: events are still queued")
                    .isEqualTo(-1);
            int n = drain(slow).size();
            assertThat(n).isEqualTo(WatchHub.QUEUE_EVENTS);
            assertThat(slow.fellBehindAt())
                    .as("every change up to it was delivered")
                    .isEqualTo(first + WatchHub.QUEUE_EVENTS - 1);
            assertThat(e.watches().watches()).isOne(); // the pump closes it once it has told its client
            slow.close();
            assertThat(e.watches().watches()).isZero();
        }
    }
}
