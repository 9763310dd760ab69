package io.sharedmap.tests.clients;

import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.tests.support.ChildProcess;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** What the {@link WriterMain} processes reported: every attempted write and its outcome. */
public final class WriteLog {
    public enum Kind {
        ACKED,
        LOST,
        NOT_EXECUTED
    }

    /** One attempted write. {@code version} is 0 unless acknowledged. */
    public record Write(String key, String tag, long seq, long version, Kind kind) {}

    private final Map<String, List<Write>> byKey = new TreeMap<>();
    private final Map<String, Map<Long, Write>> byTag = new HashMap<>();
    private final Map<String, Long> doneSeq = new HashMap<>();
    private final Map<String, Write> seen = new TreeMap<>();
    private final List<String> corruptReads = new ArrayList<>();
    private final Map<String, Integer> parsedLines = new HashMap<>();
    private int acked;

    private WriteLog() {}

    /** An empty log that {@link #update} brings up to date, reading only what is new each time. */
    public static WriteLog live() {
        return new WriteLog();
    }

    /**
     * Adds the lines the writers printed since the last update (a crash loop's check after each
     * restart then costs what is new, not everything so far). Returns this log.
     */
    public WriteLog update(Collection<ChildProcess> writers) {
        for (ChildProcess w : writers) {
            int from = parsedLines.getOrDefault(w.name(), 0);
            List<String> fresh = w.linesFrom(from);
            fresh.forEach(line -> add(w.name(), line));
            parsedLines.put(w.name(), from + fresh.size());
        }
        return this;
    }

    /** Parses a snapshot of the writers' output so far. */
    public static WriteLog of(Collection<ChildProcess> writers) {
        Map<String, List<String>> output = new TreeMap<>();
        writers.forEach(w -> output.put(w.name(), w.lines()));
        return parse(output);
    }

    /** Parses writer output, by writer name. */
    public static WriteLog parse(Map<String, List<String>> outputByWriter) {
        WriteLog log = new WriteLog();
        outputByWriter.forEach((writer, lines) -> lines.forEach(line -> log.add(writer, line)));
        return log;
    }

    private void add(String writer, String line) {
        WorkerReport r = WorkerReport.parse(line);
        switch (r.kind()) {
            case "A", "L", "N" -> {
                Kind kind = switch (r.kind()) {
                    case "A" -> Kind.ACKED;
                    case "L" -> Kind.LOST;
                    default -> Kind.NOT_EXECUTED;
                };
                long version = kind == Kind.ACKED ? r.number("version") : 0;
                Write w = new Write(r.text("key"), r.text("tag"), r.number("seq"), version, kind);
                byKey.computeIfAbsent(w.key(), k -> new ArrayList<>()).add(w);
                Write previous =
                        byTag.computeIfAbsent(w.tag(), t -> new HashMap<>()).put(w.seq(), w);
                if (previous != null) {
                    throw new AssertionError(writer + " reported " + w.tag() + " seq " + w.seq() + " twice: " + line);
                }
                if (kind == Kind.ACKED) {
                    acked++;
                }
            }
            case "DONE" -> doneSeq.put(r.text("tag"), r.number("lastSeq"));
            case "S" -> {
                Write w = new Write(r.text("key"), r.text("tag"), r.number("seq"), r.number("version"), Kind.ACKED);
                seen.merge(w.key(), w, (a, b) -> a.seq() >= b.seq() ? a : b);
            }
            case "CORRUPT" -> corruptReads.add(writer + ": " + line);
            case "READY", "READS", "DIRECT" -> {}
            default -> throw new AssertionError(writer + " printed an unexpected line: " + line);
        }
    }

    /** Per key, the newest value a {@link ReaderMain} was shown (as a write with its version). */
    public Map<String, Write> seen() {
        return Map.copyOf(seen);
    }

    /** GET replies a reader could not recognise as any write's value. */
    public List<String> corruptReads() {
        return List.copyOf(corruptReads);
    }

    public int ackedCount() {
        return acked;
    }

    public Set<String> keys() {
        return byKey.keySet();
    }

    public List<Write> writes(String key) {
        return byKey.getOrDefault(key, List.of());
    }

    public Optional<Write> find(String tag, long seq) {
        return Optional.ofNullable(byTag.getOrDefault(tag, Map.of()).get(seq));
    }

    /** The acknowledged write of {@code key} with the highest version. */
    public Optional<Write> lastAcked(String key) {
        return writes(key).stream().filter(w -> w.kind() == Kind.ACKED).max(Comparator.comparingLong(Write::version));
    }

    public long count(Kind kind) {
        return byKey.values().stream()
                .flatMap(List::stream)
                .filter(w -> w.kind() == kind)
                .count();
    }

    /** The last seq each writer thread reported DONE with (only for writers that finished). */
    public Map<String, Long> doneSeq() {
        return Map.copyOf(doneSeq);
    }

    /**
     * Problems with versions: each writer thread writes one seq at a time, so its acknowledged
     * versions must increase with seq (also across daemon restarts), and no two acknowledged writes
     * anywhere may share a version.
     */
    public List<String> versionProblems() {
        List<String> problems = new ArrayList<>();
        Map<Long, Write> byVersion = new HashMap<>();
        for (var tag : byTag.entrySet()) {
            long lastVersion = 0;
            long lastSeq = 0;
            for (Write w : new TreeMap<>(tag.getValue()).values()) {
                if (w.kind() != Kind.ACKED) {
                    continue;
                }
                if (w.version() <= lastVersion) {
                    problems.add(tag.getKey() + " seq " + w.seq() + " got version " + w.version() + " <= version "
                            + lastVersion + " of its earlier seq " + lastSeq);
                }
                lastVersion = w.version();
                lastSeq = w.seq();
                Write other = byVersion.put(w.version(), w);
                if (other != null) {
                    problems.add("version " + w.version() + " acknowledged twice: " + other + " and " + w);
                }
            }
        }
        return problems;
    }
}
