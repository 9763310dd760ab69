package io.sharedmap.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The {@code scale} workload (issue 11's goals): one sharedmap daemon and one redis-server, each
 * loaded with the same N keys, measured side by side in one run. In order:
 *
 * <ol>
 *   <li>Load (sharedmap, then Redis, so neither competes with the other): every key with its own
 *       value ({@link ScaleKeys}) through the client's pipeline (sharedmap {@code pipelined()},
 *       Jedis {@code pipelined()}), {@value #LOAD_BATCH} SETs a sync; keys/s over the whole load.
 *   <li>Right after the load: resident memory and files in memory ({@link Footprint}), disk use of
 *       the data directory (sharedmap: STATS {@code data_dir}; Redis: {@code CONFIG GET dir}).
 *   <li>Settle: until the directory's size has not changed for {@code settleQuietMs} and Redis
 *       has no AOF rewrite running or scheduled, at most {@code settleTimeoutMs}; then memory and
 *       disk again. Only then does the next store load.
 *   <li>Uniform GET and SET cells ({@link CellRunner}; workload {@link Workload#SCALE}) at each
 *       process count, for {@code direct} and {@code sharedmap} (the one daemon, read from its
 *       mapped memory or through the socket), {@code redis} and, for GET, {@code chronicle} (its host
 *       loads the same keys just before its cells and is stopped after them). A SET writes the key's
 *       own value, so every key keeps a known value.
 *   <li>Clean restart, then {@code kill -9} and restart ({@link DaemonControl}), each until a GET of
 *       the last key loaded answers with its value; after each, a sample of keys ({@code verifyKeys}
 *       random ones and the last {@code verifyKeys} loaded) is read back and every missing or
 *       wrong value is reported as a problem.
 * </ol>
 *
 * Progress is printed during the long phases; every wait is bounded.
 */
final class ScaleRun {
    static final int LOAD_BATCH = 1000;
    private static final long PROGRESS_EVERY_NS = TimeUnit.SECONDS.toNanos(5);

    /**
     * The workload's settings.
     *
     * @param keys N, the keys loaded
     * @param keySize bytes of a key
     * @param valueSize bytes of a value
     * @param seed seeds the sample of keys read back after restarts
     * @param processes worker processes per GET/SET cell
     * @param mixes the cells' operations
     * @param loadTimeoutMs longest a store's load may take
     * @param settleTimeoutMs longest wait for a store's disk use to settle
     * @param settleQuietMs how long the disk use must stay unchanged to count as settled
     * @param serveTimeoutMs longest wait, after a restart, for the known key's GET to answer
     * @param verifyKeys random keys (and last keys loaded) read back after each restart
     */
    record Settings(
            int keys,
            int keySize,
            int valueSize,
            long seed,
            List<Integer> processes,
            List<Mix> mixes,
            long loadTimeoutMs,
            long settleTimeoutMs,
            long settleQuietMs,
            long serveTimeoutMs,
            int verifyKeys) {}

    /** One figure: {@code name} of {@code target}, in {@code unit}, with a note (may be empty). */
    record Measure(String target, String name, double value, String unit, String note) {}

    /** What a run found. */
    static final class Result {
        final Settings settings;
        final List<Measure> measures = new ArrayList<>();
        final List<CellResult> cells = new ArrayList<>();
        /** Missing or wrong values, failed phases: said loudly in every output. */
        final List<String> problems = new ArrayList<>();
        /** The sharedmap daemon's STATS right after its load. */
        final Map<String, String> statsAfterLoad = new LinkedHashMap<>();
        /** Memory snapshots by {@code target|phase}, with the files found. */
        final Map<String, Footprint.Memory> memory = new LinkedHashMap<>();

        @Nullable
        String sharedMapLabel;

        @Nullable
        String redisLabel;
        /** Every target measured, label to version, in the order they started. */
        final Map<String, String> servers = new LinkedHashMap<>();

        Result(Settings settings) {
            this.settings = settings;
        }

        void add(String target, String name, double value, String unit, String note) {
            measures.add(new Measure(target, name, value, unit, note));
        }

        /** The figure, or NaN if it was not measured. */
        double value(@Nullable String target, String name) {
            if (target == null) {
                return Double.NaN;
            }
            for (Measure m : measures) {
                if (m.target().equals(target) && m.name().equals(name)) {
                    return m.value();
                }
            }
            return Double.NaN;
        }

        String note(@Nullable String target, String name) {
            for (Measure m : measures) {
                if (m.target().equals(target) && m.name().equals(name)) {
                    return m.note();
                }
            }
            return "";
        }
    }

    private final Settings settings;
    private final List<TargetSpec> targets;
    private final BenchServer.Launch launch;
    private final BenchCommand.Load load;
    private final CellRunner.Spawn spawn;
    private final Path logDir;
    private final PrintWriter w;
    /** The servers running now, for the harness's clean-up on interruption; guarded by itself. */
    private final List<BenchServer> live;

    private final Result result;

    ScaleRun(
            Settings settings,
            List<TargetSpec> targets,
            BenchServer.Launch launch,
            BenchCommand.Load load,
            CellRunner.Spawn spawn,
            Path logDir,
            PrintWriter w,
            List<BenchServer> live) {
        this.settings = settings;
        this.targets = targets;
        this.launch = launch;
        this.load = load;
        this.spawn = spawn;
        this.logDir = logDir;
        this.w = w;
        this.live = live;
        this.result = new Result(settings);
    }

    private boolean wants(TargetSpec.Kind kind) {
        return targets.stream().anyMatch(t -> t.kind() == kind);
    }

    /**
     * Runs every phase. A failed start or load ends the run (later phases need the data); a failed
     * cell, restart or check is recorded as a problem and the run goes on with what still runs. The
     * result holds whatever was measured, and every failure as a problem.
     */
    Result run() throws InterruptedException {
        try {
            runPhases();
        } catch (IOException | RuntimeException e) {
            result.problems.add("the run stopped: " + e.getMessage());
            w.println("FAILED, the run stopped: " + e.getMessage());
            w.flush();
        }
        return result;
    }

    private void runPhases() throws IOException, InterruptedException {
        Settings s = settings;
        w.printf(
                Locale.ROOT,
                "scale: %,d keys of %d bytes, %d-byte values (raw data %s MB), loaded %,d a pipeline%n",
                s.keys(),
                s.keySize(),
                s.valueSize(),
                Footprint.mb((long) s.keys() * (s.keySize() + s.valueSize())),
                LOAD_BATCH);
        BenchServer sm = null;
        BenchServer redis = null;
        if (wants(TargetSpec.Kind.DIRECT) || wants(TargetSpec.Kind.SHAREDMAP)) {
            sm = startTracked(new TargetSpec(TargetSpec.Kind.SHAREDMAP, null));
            result.sharedMapLabel = sm.label();
        }
        if (wants(TargetSpec.Kind.REDIS)) {
            redis = startTracked(new TargetSpec(TargetSpec.Kind.REDIS, null));
            result.redisLabel = redis.label();
        }
        List<BenchServer> stores = new ArrayList<>(); // sharedmap first, then Redis
        if (sm != null) {
            stores.add(sm);
        }
        if (redis != null) {
            stores.add(redis);
        }
        for (BenchServer server : stores) {
            loadAndSettle(server);
        }
        runCells(sm, redis);
        DaemonControl.Probe probe = new DaemonControl.Probe(
                ScaleKeys.newKey(s.keys() - 1L, s.keySize()), ScaleKeys.newValue(s.keys() - 1L, s.valueSize()));
        List<BenchServer> running = stores;
        for (boolean kill : new boolean[] {false, true}) { // every clean restart, then every kill -9
            List<BenchServer> next = new ArrayList<>();
            for (BenchServer server : running) {
                BenchServer now = restart(server, kill, probe);
                if (now != null) {
                    next.add(now);
                }
            }
            running = next;
        }
        for (BenchServer server : running) {
            if (server != null) {
                Path dir = dataDir(server);
                result.add(
                        server.label(),
                        "disk_end_bytes",
                        Footprint.du(dir),
                        "bytes",
                        "after the cells and both restarts: " + dir);
            }
        }
    }

    private BenchServer startTracked(TargetSpec spec) throws IOException, InterruptedException {
        BenchServer s = BenchServer.start(spec, launch);
        synchronized (live) {
            live.add(s);
        }
        if (spec.kind() == TargetSpec.Kind.SHAREDMAP && wants(TargetSpec.Kind.DIRECT)) {
            BenchServer direct = s.readAs(TargetSpec.Kind.DIRECT);
            result.servers.put(direct.label(), direct.version());
        }
        if (spec.kind() != TargetSpec.Kind.SHAREDMAP || wants(TargetSpec.Kind.SHAREDMAP)) {
            result.servers.put(s.label(), s.version());
        }
        w.println("target " + s.label() + " (" + s.version() + ", pid " + s.pid() + ") on " + s.socket());
        w.flush();
        return s;
    }

    private void replaceTracked(BenchServer old, @Nullable BenchServer now) {
        synchronized (live) {
            live.remove(old);
            if (now != null) {
                live.add(now);
            }
        }
    }

    // ---- load, memory, disk ----

    private void loadAndSettle(BenchServer server) throws IOException, InterruptedException {
        String label = server.label();
        loadAll(server);
        Path dir = dataDir(server);
        Footprint.Memory afterLoad = memory(server, "after_load");
        result.add(label, "disk_after_load_bytes", Footprint.du(dir), "bytes", dir.toString());
        if (server.spec().kind().sharedMap()) {
            try (SharedMapKv kv = SharedMapKv.connect(server.socket(), -1, false)) {
                Map<String, String> stats = kv.stats();
                result.statsAfterLoad.putAll(stats);
                addNumber(label, "keys_stored", stats.get("keys"), "keys", "STATS keys");
                addNumber(
                        label,
                        "mapped_keys",
                        stats.get("store_keys_public"),
                        "keys",
                        "STATS store_keys_public: keys on the store's public side, readable from mapped memory");
            }
        } else {
            try (RedisKv kv = RedisKv.connect(server.socket())) {
                result.add(label, "keys_stored", kv.dbSize(), "keys", "DBSIZE");
            }
        }
        w.printf(
                Locale.ROOT,
                "%s: after the load, VmRSS %s MB (RssAnon %s, RssFile %s, RssShmem %s), memory-backed "
                        + "files %s MB, data directory %s MB%n",
                label,
                Footprint.mb(afterLoad.vmRss()),
                Footprint.mb(afterLoad.rssAnon()),
                Footprint.mb(afterLoad.rssFile()),
                Footprint.mb(afterLoad.rssShmem()),
                Footprint.mb(afterLoad.memoryFileBytes()),
                Footprint.mb((long) result.value(label, "disk_after_load_bytes")));
        w.flush();
        settle(server, dir);
        memory(server, "after_settle");
    }

    private void loadAll(BenchServer server) throws IOException, InterruptedException {
        String label = server.label();
        int n = settings.keys();
        TargetSpec.Kind kind = server.spec().kind().sharedMap() ? TargetSpec.Kind.SHAREDMAP : TargetSpec.Kind.REDIS;
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scale-load-watchdog");
            t.setDaemon(true);
            return t;
        });
        w.printf(Locale.ROOT, "%s: loading %,d keys...%n", label, n);
        w.flush();
        long busy0 = MachineCpu.busyNs();
        long server0 = Footprint.cpuWithChildrenNs(server.pid());
        long own0 = DaemonControl.ownCpuNs();
        long t0 = System.nanoTime();
        KvClient kv = KvClient.connect(kind, server.socket());
        try {
            // A blocked read cannot see a deadline: closing the connection ends it (Jedis reads a plain channel).
            watchdog.schedule(
                    () -> {
                        timedOut.set(true);
                        kv.close();
                    },
                    settings.loadTimeoutMs(),
                    TimeUnit.MILLISECONDS);
            long nextProgress = t0 + PROGRESS_EVERY_NS;
            for (int from = 0; from < n; from += LOAD_BATCH) {
                int to = Math.min(n, from + LOAD_BATCH);
                byte[][] keys = new byte[to - from][];
                byte[][] values = new byte[to - from][];
                for (int i = from; i < to; i++) {
                    keys[i - from] = ScaleKeys.newKey(i, settings.keySize());
                    values[i - from] = ScaleKeys.newValue(i, settings.valueSize());
                }
                try {
                    kv.setAll(keys, values);
                } catch (RuntimeException e) {
                    throw new IOException(
                            timedOut.get()
                                    ? label + ": the load did not finish within " + settings.loadTimeoutMs() / 1000
                                            + " s (" + from + " keys loaded)"
                                    : label + ": the load failed after " + from + " keys: " + e.getMessage(),
                            e);
                }
                long now = System.nanoTime();
                if (now - nextProgress >= 0) {
                    w.printf(
                            Locale.ROOT,
                            "  %s: %,d of %,d keys (%.0f%%), %,.0f keys/s so far%n",
                            label,
                            to,
                            n,
                            100.0 * to / n,
                            to / ((now - t0) / 1e9));
                    w.flush();
                    nextProgress = now + PROGRESS_EVERY_NS;
                }
            }
        } finally {
            watchdog.shutdownNow();
            kv.close();
        }
        long ns = System.nanoTime() - t0;
        long busy = MachineCpu.busyNs() - busy0;
        long serverCpu = Footprint.cpuWithChildrenNs(server.pid()) - server0;
        long own = DaemonControl.ownCpuNs() - own0;
        double other =
                busy0 < 0 || server0 < 0 || own0 < 0 ? -1 : MachineCpu.share(Math.max(0, busy - serverCpu - own), ns);
        result.add(label, "load_s", ns / 1e9, "s", "first SET sent to last reply read");
        result.add(label, "load_keys_per_s", n / (ns / 1e9), "keys/s", "");
        result.add(label, "load_server_cpu_s", serverCpu / 1e9, "s", "the server's CPU time (with reaped children)");
        result.add(label, "load_other_cpu", other, "share", "other processes' share of the CPUs during the load");
        w.printf(
                Locale.ROOT,
                "%s: loaded %,d keys in %.2f s: %,.0f keys/s (other processes took %s of the CPUs)%n",
                label,
                n,
                ns / 1e9,
                n / (ns / 1e9),
                percent(other));
        w.flush();
    }

    private Footprint.Memory memory(BenchServer server, String phase) {
        Map<String, String> stats = Map.of();
        if (server.spec().kind().sharedMap()) {
            try (SharedMapKv kv = SharedMapKv.connect(server.socket(), -1, false)) {
                stats = kv.stats();
            } catch (IOException | RuntimeException e) {
                result.problems.add(server.label() + ": STATS failed " + phase + " (" + e.getMessage()
                        + "); its files are not counted");
            }
        }
        Footprint.Memory m = Footprint.memory(server.pid(), stats);
        String label = server.label();
        result.memory.put(label + "|" + phase, m);
        result.add(label, "vmrss_" + phase + "_bytes", m.vmRss(), "bytes", "VmRSS");
        result.add(label, "rss_anon_" + phase + "_bytes", m.rssAnon(), "bytes", "RssAnon");
        result.add(label, "rss_file_" + phase + "_bytes", m.rssFile(), "bytes", "RssFile");
        result.add(label, "rss_shmem_" + phase + "_bytes", m.rssShmem(), "bytes", "RssShmem");
        result.add(label, "vmhwm_" + phase + "_bytes", m.vmHwm(), "bytes", "VmHWM: peak resident since start");
        StringBuilder files = new StringBuilder();
        for (Footprint.FileUse f : m.files()) {
            if (f.inMemory()) {
                files.append(files.isEmpty() ? "" : "; ")
                        .append(f.path())
                        .append(" (")
                        .append(f.source())
                        .append(", ")
                        .append(f.fsType())
                        .append(")");
            }
        }
        result.add(
                label,
                "memory_files_" + phase + "_bytes",
                m.memoryFileBytes(),
                "bytes",
                files.isEmpty() ? "none" : files.toString());
        result.add(
                label,
                "memory_total_" + phase + "_bytes",
                m.totalBytes(),
                "bytes",
                "VmRSS + memory-backed files beyond RssShmem");
        return m;
    }

    private void settle(BenchServer server, Path dir) throws InterruptedException {
        String label = server.label();
        long quietNs = TimeUnit.MILLISECONDS.toNanos(settings.settleQuietMs());
        long pollMs = Math.max(100, Math.min(1000, settings.settleQuietMs() / 5));
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(settings.settleTimeoutMs());
        long nextProgress = t0 + TimeUnit.SECONDS.toNanos(10);
        long size = Footprint.du(dir);
        long unchangedSince = t0;
        boolean settled = false;
        String busy = "";
        w.printf(
                Locale.ROOT,
                "%s: waiting until the data directory's size stays unchanged for %.1f s (at most %d s)%n",
                label,
                settings.settleQuietMs() / 1000.0,
                settings.settleTimeoutMs() / 1000);
        w.flush();
        while (System.nanoTime() - deadline < 0) {
            Thread.sleep(pollMs); // sampling a size over time: the interval is the measurement
            long now = System.nanoTime();
            long next = Footprint.du(dir);
            busy = redisRewriting(server);
            if (next != size || !busy.isEmpty()) {
                size = next;
                unchangedSince = now;
            } else if (now - unchangedSince >= quietNs) {
                settled = true;
                break;
            }
            if (now - nextProgress >= 0) {
                w.printf(
                        Locale.ROOT,
                        "  %s: %s MB on disk%s, waited %.0f s%n",
                        label,
                        Footprint.mb(size),
                        busy.isEmpty() ? "" : " (" + busy + ")",
                        (now - t0) / 1e9);
                w.flush();
                nextProgress = now + TimeUnit.SECONDS.toNanos(10);
            }
        }
        double waited = (System.nanoTime() - t0) / 1e9;
        String how = settled
                ? String.format(
                        Locale.ROOT,
                        "waited %.1f s, until the size had not changed for %.1f s%s",
                        waited,
                        settings.settleQuietMs() / 1000.0,
                        server.spec().kind() == TargetSpec.Kind.REDIS
                                ? " and no AOF rewrite was running or scheduled"
                                : "")
                : String.format(
                        Locale.ROOT, "NOT settled within %.0f s%s", waited, busy.isEmpty() ? "" : " (" + busy + ")");
        result.add(label, "settle_wait_s", waited, "s", how);
        result.add(label, "settled", settled ? 1 : 0, "bool", how);
        result.add(label, "disk_after_settle_bytes", size, "bytes", dir + "; " + how);
        w.printf(Locale.ROOT, "%s: %s MB on disk; %s%n", label, Footprint.mb(size), how);
        w.flush();
    }

    /** What Redis's AOF rewrite is doing ({@code in progress}, {@code scheduled}), or empty; empty for sharedmap. */
    private static String redisRewriting(BenchServer server) {
        if (server.spec().kind() != TargetSpec.Kind.REDIS) {
            return "";
        }
        try (RedisKv kv = RedisKv.connect(server.socket())) {
            String info = kv.info("persistence");
            if ("1".equals(RedisKv.infoField(info, "aof_rewrite_in_progress"))) {
                return "AOF rewrite in progress";
            }
            if ("1".equals(RedisKv.infoField(info, "aof_rewrite_scheduled"))) {
                return "AOF rewrite scheduled";
            }
            return "";
        } catch (IOException | RuntimeException e) {
            return "INFO failed: " + e.getMessage();
        }
    }

    /** Where the server keeps its data: the daemon's STATS {@code data_dir}, Redis's {@code CONFIG GET dir}. */
    private static Path dataDir(BenchServer server) throws IOException {
        if (server.spec().kind().sharedMap()) {
            try (SharedMapKv kv = SharedMapKv.connect(server.socket(), -1, false)) {
                String dir = kv.stats().get("data_dir");
                if (dir == null || dir.isEmpty()) {
                    throw new IOException(server.label() + ": STATS has no data_dir");
                }
                return Path.of(dir);
            }
        }
        try (RedisKv kv = RedisKv.connect(server.socket())) {
            return kv.dataDir();
        }
    }

    // ---- GET and SET cells ----

    private void runCells(@Nullable BenchServer sm, @Nullable BenchServer redis)
            throws IOException, InterruptedException {
        List<BenchServer> order = new ArrayList<>();
        if (sm != null && wants(TargetSpec.Kind.DIRECT)) {
            order.add(sm.readAs(TargetSpec.Kind.DIRECT));
        }
        if (sm != null && wants(TargetSpec.Kind.SHAREDMAP)) {
            order.add(sm);
        }
        if (redis != null) {
            order.add(redis);
        }
        Report.printCellHeader(w);
        w.flush();
        for (Mix mix : settings.mixes()) {
            BenchServer chronicle = mix == Mix.READ && wants(TargetSpec.Kind.CHRONICLE) ? startChronicle() : null;
            try {
                for (int p : settings.processes()) {
                    List<BenchServer> these = new ArrayList<>(order);
                    if (chronicle != null) {
                        these.add(chronicle);
                    }
                    for (BenchServer s : these) {
                        if (!s.alive()) {
                            throw new IOException("target " + s.label() + " is no longer running; see " + logDir);
                        }
                        CellResult r = CellRunner.run(s, Workload.SCALE, mix, p, load, spawn);
                        result.cells.add(r);
                        Report.printCell(w, r);
                        w.flush();
                        if (!r.ok()) {
                            result.problems.add(
                                    "cell " + r.target() + " " + mix.label() + " P=" + p + " failed: " + r.error());
                        } else if (r.misses() > 0) {
                            result.problems.add(String.format(
                                    Locale.ROOT,
                                    "cell %s %s P=%d: %,d GETs found no value (every key " + "was loaded)",
                                    r.target(),
                                    mix.label(),
                                    p,
                                    r.misses()));
                        }
                    }
                }
            } finally {
                if (chronicle != null) {
                    replaceTracked(chronicle, null);
                    chronicle.close();
                    Files.deleteIfExists(chronicle.socket()); // its map file: gigabytes of page cache at 10M keys
                }
            }
        }
    }

    /** Chronicle Map's host, loaded with the same keys; null (and a problem) if it cannot start. */
    private @Nullable BenchServer startChronicle() throws InterruptedException {
        w.printf(Locale.ROOT, "chronicle: creating and loading its map file with the %,d keys...%n", settings.keys());
        w.flush();
        try {
            return startTracked(new TargetSpec(TargetSpec.Kind.CHRONICLE, null));
        } catch (IOException e) {
            result.problems.add("chronicle did not start: " + e.getMessage());
            w.println("chronicle did not start: " + e.getMessage());
            return null;
        }
    }

    // ---- restarts ----

    /** A clean restart or a kill -9 and restart of {@code s}; returns the server now running, or null. */
    private @Nullable BenchServer restart(BenchServer s, boolean kill, DaemonControl.Probe probe)
            throws InterruptedException {
        String label = s.label();
        String phase = kill ? "kill9" : "restart";
        w.printf(
                Locale.ROOT,
                "%s: %s...%n",
                label,
                kill
                        ? "kill -9, then start until a GET of the last key loaded " + "answers"
                        : "graceful stop, then start until a GET of the last key loaded answers");
        w.flush();
        DaemonControl.Restart r;
        try {
            Path dir = logDir.resolve(phase + "-" + s.spec().kind().label());
            r = kill
                    ? DaemonControl.restartAfterKill(s, launch, dir, probe, settings.serveTimeoutMs())
                    : DaemonControl.restartGracefully(s, launch, dir, probe, settings.serveTimeoutMs());
        } catch (IOException | RuntimeException e) {
            result.problems.add(
                    label + ": " + (kill ? "kill -9 and restart" : "clean restart") + " failed: " + e.getMessage());
            w.println("FAILED: " + label + ": " + e.getMessage());
            replaceTracked(s, null);
            s.close();
            return null;
        }
        replaceTracked(s, r.server());
        result.add(
                label,
                phase + "_stop_s",
                r.stopNs() / 1e9,
                "s",
                kill
                        ? "SIGKILL until the process had exited"
                        : s.spec().kind() == TargetSpec.Kind.REDIS
                                ? "SHUTDOWN until the process had exited"
                                : "SIGTERM (sharedmap stop) until the process had exited");
        result.add(label, phase + "_start_s", r.startNs() / 1e9, "s", "spawn until a GET of a known key answered");
        result.add(label, phase + "_total_s", r.totalNs() / 1e9, "s", "signal until a GET of a known key answered");
        result.add(
                label,
                phase + "_other_cpu",
                r.startOtherCpuShare(),
                "share",
                "other processes' share of the CPUs while it started");
        w.printf(
                Locale.ROOT,
                "%s: %s %.3f s, start until serving %.3f s (other processes took %s of the CPUs)%n",
                label,
                kill ? "kill -9 until exit" : "stop",
                r.stopNs() / 1e9,
                r.startNs() / 1e9,
                percent(r.startOtherCpuShare()));
        if (s.spec().kind().sharedMap()) {
            try (SharedMapKv kv = SharedMapKv.connect(r.server().socket(), -1, false)) {
                addNumber(
                        label,
                        phase + "_recovery_ms",
                        kv.stats().get("recovery_ms"),
                        "ms",
                        "the daemon's STATS recovery_ms");
            } catch (IOException | RuntimeException e) {
                result.problems.add(label + ": STATS after the " + phase + " failed: " + e.getMessage());
            }
            verify(r.server(), TargetSpec.Kind.SHAREDMAP, phase);
            if (wants(TargetSpec.Kind.DIRECT)) {
                verify(r.server(), TargetSpec.Kind.DIRECT, phase);
            }
        } else {
            verify(r.server(), TargetSpec.Kind.REDIS, phase);
        }
        if (kill) {
            memory(r.server(), "after_kill9");
        }
        w.flush();
        return r.server();
    }

    /**
     * Reads back {@code verifyKeys} random keys and the last {@code verifyKeys} loaded and compares
     * each with the value it was written with; records the counts, and every miss as a problem.
     */
    private void verify(BenchServer s, TargetSpec.Kind how, String phase) {
        int n = settings.keys();
        int sample = Math.min(settings.verifyKeys(), n);
        long[] indices = new long[2 * sample];
        SplittableRandom random = new SplittableRandom(settings.seed() ^ 0x5CA1EL);
        for (int i = 0; i < sample; i++) {
            indices[i] = random.nextInt(n);
            indices[sample + i] = n - sample + i;
        }
        String target =
                how == TargetSpec.Kind.DIRECT ? s.readAs(TargetSpec.Kind.DIRECT).label() : s.label();
        long missing = 0;
        long wrong = 0;
        List<String> first = new ArrayList<>();
        try (KvClient kv = KvClient.connect(how, s.socket())) {
            for (long i : indices) {
                byte[] key = ScaleKeys.newKey(i, settings.keySize());
                byte[] got = kv.get(key);
                if (got == null || !Arrays.equals(got, ScaleKeys.newValue(i, settings.valueSize()))) {
                    if (got == null) {
                        missing++;
                    } else {
                        wrong++;
                    }
                    if (first.size() < 5) {
                        first.add(new String(key, StandardCharsets.US_ASCII)
                                + (got == null ? " missing" : " wrong (" + got.length + " bytes)"));
                    }
                }
            }
            String via = how == TargetSpec.Kind.DIRECT
                    ? "read as a user reads (direct reads on)"
                    : how == TargetSpec.Kind.SHAREDMAP ? "read through the socket" : "read through Jedis";
            result.add(target, phase + "_checked", indices.length, "keys", via);
            result.add(target, phase + "_missing", missing, "keys", via);
            result.add(target, phase + "_wrong", wrong, "keys", via);
            if (missing + wrong > 0) {
                result.problems.add(String.format(
                        Locale.ROOT,
                        "%s after the %s: %d of %d keys read back MISSING and %d WRONG " + "(%s), e.g. %s",
                        target,
                        phase.equals("kill9") ? "kill -9" : "clean restart",
                        missing,
                        indices.length,
                        wrong,
                        via,
                        String.join(", ", first)));
            }
            w.printf(
                    Locale.ROOT,
                    "%s: %,d keys read back after the %s: %,d missing, %,d wrong%n",
                    target,
                    indices.length,
                    phase.equals("kill9") ? "kill -9" : "clean restart",
                    missing,
                    wrong);
        } catch (IOException | RuntimeException e) {
            result.problems.add(target + ": reading keys back after the " + phase + " failed: " + e.getMessage());
        }
    }

    private void addNumber(String target, String name, @Nullable String value, String unit, String note) {
        try {
            if (value != null && !value.isEmpty()) {
                result.add(target, name, Double.parseDouble(value), unit, note);
            }
        } catch (NumberFormatException e) {
            // not a number: left out
        }
    }

    static String percent(double share) {
        return share < 0 ? "an unknown share" : String.format(Locale.ROOT, "%.0f%%", 100 * share);
    }
}
