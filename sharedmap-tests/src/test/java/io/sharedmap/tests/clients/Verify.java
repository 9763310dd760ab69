package io.sharedmap.tests.clients;

import io.sharedmap.tests.clients.WriteLog.Kind;
import io.sharedmap.tests.clients.WriteLog.Write;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The promises a dump must keep, given what the writers were told. */
public final class Verify {
    private Verify() {}

    /**
     * Crash durability for keys each written by one writer thread: every acknowledged write is
     * present with its value or a later one from the same writer.
     *
     * @param complete the writers have finished and the map is quiet: additionally nothing that was
     *     never attempted (or was refused as not executed) appears, acknowledged values carry their
     *     acknowledged version, and the scan agrees with GET
     */
    public static List<String> durability(WriteLog log, Dump dump, boolean complete) {
        List<String> problems = new ArrayList<>(common(dump, complete));
        for (String key : log.keys()) {
            Optional<Write> acked = log.lastAcked(key);
            if (acked.isEmpty()) {
                continue;
            }
            Write a = acked.get();
            Dump.Item item = dump.items().get(key);
            if (item == null) {
                problems.add(key + ": acknowledged " + a + " but the key is gone");
                continue;
            }
            if (item.corrupt()) {
                continue; // reported by common()
            }
            if (!item.tag().equals(a.tag())) {
                problems.add(key + ": holds a value of " + item.tag() + " but only " + a.tag() + " writes it");
            } else if (item.seq() < a.seq()) {
                problems.add(key + ": holds seq " + item.seq() + " (version " + item.version() + ") but seq " + a.seq()
                        + " was acknowledged with version " + a.version() + ": an acknowledged write was lost");
            }
            if (item.version() < a.version()) {
                problems.add(key + ": version " + item.version() + " is below the acknowledged " + a.version());
            }
        }
        if (complete) {
            for (Dump.Item item : dump.items().values()) {
                if (item.corrupt()) {
                    continue;
                }
                Optional<Write> w = log.find(item.tag(), item.seq());
                if (w.isEmpty() || !w.get().key().equals(item.key())) {
                    problems.add(item.key() + ": holds " + item.tag() + " seq " + item.seq()
                            + ", which was never written to it");
                } else if (w.get().kind() == Kind.NOT_EXECUTED) {
                    problems.add(item.key() + ": holds " + w.get()
                            + ", which the daemon answered SHUTTING_DOWN (not executed)");
                } else if (w.get().kind() == Kind.ACKED && w.get().version() != item.version()) {
                    problems.add(item.key() + ": holds " + w.get() + " but with version " + item.version());
                }
            }
        }
        return problems;
    }

    /**
     * Recovery yields a prefix of each writer's history: a writer thread writes one seq at a time, so
     * every write it had acknowledged before sending seq S is earlier in the journal than S. If any of
     * its keys recovered with seq S, each of its other keys must hold at least the last write it had
     * acknowledged on that key before S. Holds in every durability mode, {@code never} included
     * (where acknowledged writes may be lost, but only from the end).
     */
    public static List<String> prefixConsistency(WriteLog log, Dump dump) {
        List<String> problems = new ArrayList<>();
        Map<String, Long> newestByTag = new HashMap<>();
        for (Dump.Item item : dump.items().values()) {
            if (!item.corrupt()) {
                newestByTag.merge(item.tag(), item.seq(), Math::max);
            }
        }
        for (String key : log.keys()) {
            for (Write w : log.writes(key)) {
                Long newest = newestByTag.get(w.tag());
                if (w.kind() != Kind.ACKED || newest == null || w.seq() >= newest) {
                    continue;
                }
                Dump.Item item = dump.items().get(key);
                if (item == null || (!item.corrupt() && item.tag().equals(w.tag()) && item.seq() < w.seq())) {
                    problems.add(key + ": recovered " + (item == null ? "nothing" : "seq " + item.seq()) + " although "
                            + w.tag() + " seq " + newest + " (sent after seq " + w.seq()
                            + " was acknowledged on this key)"
                            + " survived: not a prefix of the journal");
                    break;
                }
            }
        }
        return problems;
    }

    /**
     * What readers were shown survives: the daemon answers a GET with a value only once that value
     * is durable as the mode promises, so after a crash each key holds the newest value any reader
     * saw, or a later one from the same writer.
     */
    public static List<String> seenValuesSurvive(WriteLog readers, Dump dump) {
        List<String> problems = new ArrayList<>(readers.corruptReads());
        for (Write s : readers.seen().values()) {
            Dump.Item item = dump.items().get(s.key());
            if (item == null) {
                problems.add(s.key() + ": a reader was shown " + s.tag() + " seq " + s.seq() + " but the key is gone");
            } else if (!item.corrupt() && (!item.tag().equals(s.tag()) || item.seq() < s.seq())) {
                problems.add(
                        s.key() + ": a reader was shown " + s.tag() + " seq " + s.seq() + " (version " + s.version()
                                + ") before the crash; after it the key holds " + item.tag() + " seq " + item.seq());
            }
        }
        return problems;
    }

    /**
     * No crash, every write acknowledged: each key holds exactly the acknowledged write with the
     * highest version (the last one applied), for keys written by one writer and by many alike.
     */
    public static List<String> lastWriteWins(WriteLog log, Dump dump) {
        List<String> problems = new ArrayList<>(common(dump, true));
        if (log.count(Kind.LOST) + log.count(Kind.NOT_EXECUTED) > 0) {
            problems.add("writers saw failures: " + log.count(Kind.LOST) + " lost, " + log.count(Kind.NOT_EXECUTED)
                    + " not executed");
        }
        for (String key : log.keys()) {
            Write last = log.lastAcked(key).orElseThrow();
            Dump.Item item = dump.items().get(key);
            if (item == null) {
                problems.add(key + ": acknowledged " + last + " but the key is gone");
            } else if (!item.corrupt()
                    && (!item.tag().equals(last.tag())
                            || item.seq() != last.seq()
                            || item.version() != last.version())) {
                boolean someAck = log.writes(key).stream()
                        .anyMatch(w ->
                                w.tag().equals(item.tag()) && w.seq() == item.seq() && w.version() == item.version());
                problems.add(key + ": holds " + item.tag() + " seq " + item.seq() + " version " + item.version()
                        + " but the last acknowledged write is " + last
                        + (someAck ? " (an older acknowledged value)" : " (a value no writer was acknowledged for)"));
            }
        }
        for (String key : dump.items().keySet()) {
            if (!log.keys().contains(key)) {
                problems.add(key + ": present but never written");
            }
        }
        return problems;
    }

    private static List<String> common(Dump dump, boolean quiet) {
        List<String> problems = new ArrayList<>();
        dump.duplicates().forEach(k -> problems.add(k + ": returned twice by one scan"));
        for (Dump.Item item : dump.items().values()) {
            if (item.corrupt()) {
                problems.add(
                        item.key() + ": value of " + item.length() + " bytes is not any write's value (torn or mixed)");
            }
            if (quiet) {
                if (!item.inScan()) {
                    problems.add(item.key() + ": GET finds it but a scan of a quiet map did not return it");
                } else if (item.scanVersion() != item.version() || item.scanLength() != item.length()) {
                    problems.add(
                            item.key() + ": scan says version " + item.scanVersion() + " length " + item.scanLength()
                                    + " but GET says version " + item.version() + " length " + item.length());
                }
            }
        }
        return problems;
    }

    /** Fails with the first problems, if any. */
    public static void assertNone(String what, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new AssertionError(what + ": " + problems.size() + " problem(s):\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(40, problems.size()))));
        }
    }
}
