package io.sharedmap.tests.tools;

import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.tests.clients.Dump;
import io.sharedmap.tests.clients.DumpMain;
import io.sharedmap.tests.clients.ReaderMain;
import io.sharedmap.tests.clients.Verify;
import io.sharedmap.tests.clients.WriteLog;
import io.sharedmap.tests.clients.WriterMain;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.Launcher;
import io.sharedmap.tests.support.StandaloneLauncher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The crash loop: under load from P writer processes, kill -9 the daemon at random moments, restart
 * it on the same directory, and after every restart check exactly what the durability mode promises.
 *
 * <ul>
 *   <li>{@code interval} and {@code always}: the writers (recovering clients) keep writing across
 *       every kill. After each restart, before anything else, every write acknowledged so far must be
 *       present with its value or a later one of the same writer, nothing torn; at the end, with the
 *       writers stopped, additionally nothing never written appears, versions match the
 *       acknowledgements and never go backwards. A reader process ({@link ReaderMain}, direct reads
 *       on) reads the writers' keys throughout, mostly from the daemon's mapped store: every value
 *       it was shown (even from the store of a daemon about to be killed) must survive each
 *       restart, and after each restart it must read new values from the new daemon's store (the
 *       same files when the new daemon continued the store, new ones it maps when it rebuilt it).
 *   <li>{@code never}: a kill may lose the last few milliseconds of acknowledged writes, only from
 *       the end. Each round has its own writers (fresh tags), stopped after the kill; after the
 *       restart what the round's writers left must be a prefix of each writer's history, hold only
 *       values that were written, nothing torn; and every key of an earlier round must still hold
 *       exactly what it held after its own round (recovered data is on disk; a later kill must not
 *       take it).
 * </ul>
 *
 * <p>Run from the command line: {@code java -cp <test class path> io.sharedmap.tests.tools.CrashLoop
 * --kills 100 --mode interval} (see docs/RELIABILITY.md). Exit 0 when clean, 1 when a check failed.
 */
public final class CrashLoop {
    /**
     * Settings of one run.
     *
     * @param baseKeys a data set loaded before the first kill and never changed ({@link BaseData}):
     *     after every restart {@link #BASE_SAMPLE} random keys of it are read back, and at the end all
     */
    public record Config(
            String mode, int kills, int writers, int threads, long seed, int maxDelayMs, int baseKeys, int pauseUs) {
        public Config {
            if (!List.of("interval", "always", "never").contains(mode)) {
                throw new IllegalArgumentException("--mode must be interval, always or never, not " + mode);
            }
        }
    }

    /** Base keys read back after each restart. */
    static final int BASE_SAMPLE = 1_000;

    /** What a run did and found. */
    public record Result(
            Config config,
            int kills,
            long acknowledged,
            long lost,
            long checkedKeys,
            long millis,
            List<String> problems,
            ReaderStats reader) {
        public String summary() {
            return "crash loop, durability " + config.mode() + ": " + kills + " kill -9, "
                    + (config.pauseUs() > 0
                            ? config.writers() * config.threads() + " writer threads pausing " + config.pauseUs()
                                    + " µs after each ack, "
                            : "")
                    + acknowledged
                    + " acknowledged writes (" + lost + " with unknown outcome), " + checkedKeys + " keys checked, "
                    + (config.baseKeys() > 0
                            ? config.baseKeys() + " base keys (" + Math.min(BASE_SAMPLE, config.baseKeys())
                                    + " read back after every restart, all at the end), "
                            : "")
                    + (reader.reads() > 0 ? reader + ", " : "") + problems.size() + " problem(s), " + millis / 1000
                    + " s";
        }
    }

    /**
     * The reader's GETs: from the mapped store, through the socket, and after how many restarts it
     * read new values from the new daemon's store (none in {@code never} mode, which has no direct
     * reads and no reader).
     */
    public record ReaderStats(long reads, long direct, long socket, int newStoreAfterRestarts) {
        static final ReaderStats NONE = new ReaderStats(0, 0, 0, 0);

        @Override
        public String toString() {
            return "reader " + reads + " GETs (" + direct + " from the store, " + socket
                    + " through the socket), read new values from the new daemon's store after "
                    + newStoreAfterRestarts + " restarts";
        }
    }

    private static final Duration PROGRESS = Duration.ofSeconds(90);

    private CrashLoop() {}

    public static Result run(Launcher env, Config c, Consumer<String> progress) {
        long start = System.nanoTime();
        Result r = c.mode().equals("never") ? runNever(env, c, progress) : runDurable(env, c, progress);
        return new Result(
                c,
                r.kills(),
                r.acknowledged(),
                r.lost(),
                r.checkedKeys(),
                (System.nanoTime() - start) / 1_000_000,
                r.problems(),
                r.reader());
    }

    private static List<ChildProcess> startWriters(
            Launcher env, DaemonProcess d, Config c, String tagPrefix, String... more) {
        List<ChildProcess> writers = new ArrayList<>();
        for (int i = 0; i < c.writers(); i++) {
            List<String> a = new ArrayList<>(List.of(
                    "--socket",
                    d.socket().toString(),
                    "--tag",
                    tagPrefix + i,
                    "--threads",
                    Integer.toString(c.threads()),
                    "--own",
                    "20",
                    "--value-bytes",
                    "150",
                    "--duration-ms",
                    "86400000",
                    "--pause-us",
                    Integer.toString(c.pauseUs())));
            a.addAll(List.of(more));
            writers.add(env.startClient("writer-" + tagPrefix + i, WriterMain.class, a));
        }
        return writers;
    }

    private static void awaitMore(List<ChildProcess> writers, int more) {
        for (ChildProcess w : writers) {
            w.awaitCount("A", w.count("A") + more, PROGRESS);
        }
    }

    private static void stop(List<ChildProcess> writers) {
        writers.forEach(ChildProcess::closeStdin);
        for (ChildProcess w : writers) {
            w.awaitExit(Duration.ofSeconds(120), 0);
        }
    }

    /** A random moment: let the writers get going again, then wait a random time. */
    private static void randomMoment(List<ChildProcess> writers, Random random, int maxDelayMs) {
        awaitMore(writers, 1 + random.nextInt(20));
        // The random part of the kill moment (not a synchronisation wait).
        LockSupport.parkNanos(Duration.ofMillis(random.nextInt(maxDelayMs + 1)).toNanos());
    }

    private static Result runDurable(Launcher env, Config c, Consumer<String> progress) {
        DaemonProcess.Spec spec = env.daemonSpec().withDurability(c.mode());
        Random random = new Random(c.seed());
        DaemonProcess daemon = env.startDaemon(spec);
        loadBase(daemon, c, progress);
        List<ChildProcess> writers = startWriters(env, daemon, c, "w");
        // Paced (a pass over the keys every 2 ms) so that it does not take a CPU from the writers.
        ChildProcess reader = env.startClient(
                "reader",
                ReaderMain.class,
                List.of(
                        "--socket",
                        daemon.socket().toString(),
                        "--writers",
                        Integer.toString(c.writers()),
                        "--threads",
                        Integer.toString(c.threads()),
                        "--own",
                        "20",
                        "--pass-pause-us",
                        "2000",
                        "--duration-ms",
                        "86400000"));
        List<String> problems = new ArrayList<>();
        int newStoreAfterRestarts = 0;
        WriteLog acknowledged = WriteLog.live(); // every ack printed so far: before the kill or after the restart
        WriteLog shown = WriteLog.live(); // every value the reader was shown so far, from either daemon
        for (int k = 1; k <= c.kills() && problems.isEmpty(); k++) {
            randomMoment(writers, random, c.maxDelayMs());
            daemon.kill9();
            daemon = env.startDaemon(spec);
            int fromStoreAtRestart = reader.count("DIRECT");
            acknowledged.update(writers);
            shown.update(List.of(reader));
            Dump dump = DumpMain.dump(daemon.socket(), acknowledged.keys(), BaseData.PREFIX);
            for (String p : Verify.durability(acknowledged, dump, false)) {
                problems.add("after kill " + k + ": " + p);
            }
            for (String p : Verify.seenValuesSurvive(shown, dump)) {
                problems.add("after kill " + k + ", a value the reader was shown: " + p);
            }
            for (String p : BaseData.check(daemon.socket(), c.baseKeys(), BASE_SAMPLE, random)) {
                problems.add("after kill " + k + ": " + p);
            }
            // Two more new values from the store: the reader has at most one GET in flight, so at least
            // one began after the new daemon answered, when the store it read was the new daemon's (the
            // killed daemon's, continued and brought up to date, or a new one: the old one retired).
            try {
                reader.awaitCount("DIRECT", fromStoreAtRestart + 2, PROGRESS);
                newStoreAfterRestarts++;
            } catch (AssertionError e) {
                problems.add("after kill " + k + ": the reader read no new value from the new daemon's store: "
                        + e.getMessage());
            }
            progress.accept("kill " + k + ": " + acknowledged.ackedCount() + " acknowledged so far, all present; "
                    + shown.seen().size() + " keys the reader saw, all present; it read the new daemon's store");
        }
        awaitMore(writers, 5);
        stop(writers);
        reader.closeStdin();
        reader.awaitExit(Duration.ofSeconds(120), 0);
        WriteLog log = WriteLog.of(writers);
        Dump dump = DumpMain.dump(daemon.socket(), log.keys(), BaseData.PREFIX);
        log.versionProblems().forEach(p -> problems.add("versions: " + p));
        Verify.durability(log, dump, true).forEach(p -> problems.add("at the end: " + p));
        Verify.seenValuesSurvive(WriteLog.of(List.of(reader)), dump)
                .forEach(p -> problems.add("at the end, a value" + " the reader was shown: " + p));
        BaseData.check(daemon.socket(), c.baseKeys(), c.baseKeys(), random)
                .forEach(p -> problems.add("at the end: " + p));
        daemon.stop();
        return new Result(
                c,
                c.kills(),
                log.ackedCount(),
                log.count(WriteLog.Kind.LOST),
                dump.items().size(),
                0,
                problems,
                readerStats(reader, newStoreAfterRestarts));
    }

    /** The reader's closing {@code READS reads= direct= socket=} report. */
    private static ReaderStats readerStats(ChildProcess reader, int newStoreAfterRestarts) {
        for (String line : reader.lines()) {
            if (WorkerReport.isKind(line, "READS")) {
                WorkerReport r = WorkerReport.parse(line);
                return new ReaderStats(
                        r.number("reads"), r.number("direct"), r.number("socket"), newStoreAfterRestarts);
            }
        }
        return new ReaderStats(0, 0, 0, newStoreAfterRestarts);
    }

    private static Result runNever(Launcher env, Config c, Consumer<String> progress) {
        DaemonProcess.Spec spec = env.daemonSpec().withDurability("never");
        Random random = new Random(c.seed());
        DaemonProcess daemon = env.startDaemon(spec);
        if (c.baseKeys() > 0) {
            loadBase(daemon, c, progress);
            daemon.stop(); // never mode promises nothing of the last writes before a kill: a clean stop does
            daemon = env.startDaemon(spec);
        }
        List<ChildProcess> all = new ArrayList<>();
        Map<String, Dump.Item> frozen = new HashMap<>(); // keys of finished rounds -> what they held
        List<String> problems = new ArrayList<>();
        long acked = 0;
        long lost = 0;
        for (int k = 1; k <= c.kills() && problems.isEmpty(); k++) {
            // A write resent to the next incarnation would follow writes that incarnation lost (allowed
            // in this mode, but no longer a prefix): the round's writers give up quickly and stop.
            List<ChildProcess> writers = startWriters(env, daemon, c, "r" + k + "w", "--reconnect-window-ms", "300");
            awaitMore(writers, 10);
            randomMoment(writers, random, c.maxDelayMs());
            daemon.kill9();
            stop(writers);
            all.addAll(writers);
            daemon = env.startDaemon(spec);
            WriteLog round = WriteLog.of(writers);
            WriteLog everything = WriteLog.of(all);
            acked += round.ackedCount();
            lost += round.count(WriteLog.Kind.LOST);
            Dump dump = DumpMain.dump(daemon.socket(), everything.keys(), BaseData.PREFIX);
            List<String> found = new ArrayList<>(Verify.prefixConsistency(round, dump));
            for (String p : Verify.durability(everything, dump, true)) {
                if (!p.contains("an acknowledged write was lost")
                        && !p.contains("is below the acknowledged")
                        && !p.contains("but the key is gone")) {
                    found.add(p); // never written, torn, scan/GET disagreement: wrong in every mode
                }
            }
            for (Map.Entry<String, Dump.Item> e : frozen.entrySet()) {
                Dump.Item now = dump.items().get(e.getKey());
                Dump.Item then = e.getValue();
                if (now == null || now.version() != then.version() || now.seq() != then.seq()) {
                    found.add(e.getKey() + ": held seq " + then.seq() + " version " + then.version()
                            + " after an earlier restart, now "
                            + (now == null ? "nothing" : "seq " + now.seq() + " version " + now.version())
                            + ": recovered data lost by a later kill");
                }
            }
            for (String key : round.keys()) {
                Dump.Item item = dump.items().get(key);
                if (item != null) {
                    frozen.put(key, item);
                }
            }
            found.addAll(BaseData.check(daemon.socket(), c.baseKeys(), BASE_SAMPLE, random));
            for (String p : found) {
                problems.add("after kill " + k + ": " + p);
            }
            progress.accept("kill " + k + ": round acknowledged " + round.ackedCount() + ", recovered a prefix; "
                    + frozen.size() + " keys frozen");
        }
        BaseData.check(daemon.socket(), c.baseKeys(), c.baseKeys(), random)
                .forEach(p -> problems.add("at the end: " + p));
        daemon.stop();
        return new Result(c, c.kills(), acked, lost, frozen.size(), 0, problems, ReaderStats.NONE);
    }

    private static void loadBase(DaemonProcess daemon, Config c, Consumer<String> progress) {
        if (c.baseKeys() > 0) {
            long start = System.nanoTime();
            BaseData.load(daemon.socket(), c.baseKeys());
            progress.accept(
                    "loaded " + c.baseKeys() + " base keys in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }
    }

    public static void main(String[] argv) {
        Map<String, String> a = new HashMap<>(Map.of(
                "--kills",
                "100",
                "--mode",
                "interval",
                "--writers",
                "3",
                "--threads",
                "2",
                "--seed",
                Long.toString(System.nanoTime()),
                "--max-delay-ms",
                "400",
                "--keys",
                "0",
                "--pause-us",
                "0"));
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--help") || !a.containsKey(argv[i]) || i + 1 == argv.length) {
                System.err.println("usage: CrashLoop [--kills 100] [--mode interval|always|never|all] [--writers 3]"
                        + " [--threads 2] [--seed N] [--max-delay-ms 400] [--keys 0 (a base data set of N keys)]"
                        + " [--pause-us 0 (each writer thread pauses N µs after each ack)]");
                System.exit(argv[i].equals("--help") ? 0 : 2);
            }
            a.put(argv[i], argv[++i]);
        }
        List<String> modes =
                a.get("--mode").equals("all") ? List.of("interval", "always", "never") : List.of(a.get("--mode"));
        boolean clean = true;
        for (String mode : modes) {
            Config c = new Config(
                    mode,
                    Integer.parseInt(a.get("--kills")),
                    Integer.parseInt(a.get("--writers")),
                    Integer.parseInt(a.get("--threads")),
                    Long.parseLong(a.get("--seed")),
                    Integer.parseInt(a.get("--max-delay-ms")),
                    Integer.parseInt(a.get("--keys")),
                    Integer.parseInt(a.get("--pause-us")));
            try (StandaloneLauncher env = new StandaloneLauncher("crash-loop-" + mode)) {
                System.out.println("durability " + mode + ", seed " + c.seed() + ", logs in " + env.logDir());
                Result r = run(env, c, line -> System.out.println("  " + line));
                System.out.println(r.summary());
                r.problems().stream().limit(40).forEach(p -> System.out.println("  PROBLEM " + p));
                if (!r.problems().isEmpty()) {
                    clean = false;
                    env.keep();
                    System.out.println("  data kept in " + env.scratch());
                }
            }
        }
        System.exit(clean ? 0 : 1);
    }
}
