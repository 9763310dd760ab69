package io.sharedmap.torture;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.DeleteResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.torture.LinOp.Kind;
import io.sharedmap.torture.LinOp.Result;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One torture worker process: T threads on one {@link SharedMap} doing a random mix of the four
 * checks' operations until the duration has passed, then a result file for the coordinator.
 *
 * <p>Protocol with the coordinator, one line each: the worker prints {@code READY} once connected,
 * waits for {@code GO} on stdin, prints {@code H <ops> <errors> <failures>} every 200 ms (the
 * stall watchdog's input), {@code F <text>} for each of the first failures it detects, {@code E
 * <text>} for the first client errors, and {@code DONE} after writing its result file. {@code STOP}
 * on stdin ends the run early. Exit status 0 unless the worker itself broke.
 *
 * <p>Mix per operation: 35% corruption write (one in twenty a DELETE), 25% corruption read
 * (verified), 15% counter increment (GET, then CAS with the version read), 25% history operation
 * on a history key (GET, SET, CAS or DELETE, recorded with invocation and completion times) while
 * the thread is within its share of the history budget, spread evenly over the duration.
 *
 * <p>Direct and socket reads: the threads marked {@code D} in the spec each have a client of their
 * own with direct reads on (GET answered from the daemon's mapped store when the store can tell),
 * the others share one client with direct reads off. A direct thread's client is its own, so its
 * read counts tell exactly which of its GETs the store answered; history GETs record it. The values
 * of the corruption and history keys are sized by {@link ValueLengths}, so that the store rewrites
 * the same keys now in place, now as a new entry retiring the old one (and retires them by DELETE).
 * The coordinator tells the workers of each daemon restart ({@code R <n>} on stdin, once the new
 * daemon answers); a direct GET begun after that which the store answered shows that the client
 * mapped the new daemon's store. The result file adds each client's {@link SharedMap#readStats()},
 * per restart the direct GETs after it, and how the written values' lengths were chosen.
 *
 * <p>With a URL instead of a socket ({@code sharedmap torture --url}), every thread shares one
 * {@link PortableMap} from {@code SharedMap.connect(URI)}, on whatever backend the URL names: the
 * same operations and histories, no direct reads and no read counts (the spec has only {@code S}
 * threads).
 */
public final class TortureWorker {
    /** Reports on standard output, read by {@link TortureRun} as they come: connected and waiting for GO. */
    static final String READY = "ready";
    /** {@code progress ops= errors= failures=}: the heartbeat the stall watchdog listens to. */
    static final String PROGRESS = "progress";
    /** {@code failure check= message=}: a check failed in this worker ({@link Check#reportName}). */
    static final String FAILURE = "failure";
    /** {@code error message=}: a client call failed (expected of plain clients across restarts). */
    static final String ERROR = "error";
    /** The result file is written; the worker exits. */
    static final String DONE = "done";

    private static final int MAX_REPORTED = 20;
    private static final long HEARTBEAT_MS = 200;
    private static final int MAX_CAS_ATTEMPTS = 64;

    private final WorkerSpec spec;
    /** The client of the socket-only threads (direct reads off), shared by them; or the URL's map. */
    private final @Nullable PortableMap socketMap; // null when every thread reads directly
    /** Per thread: its client (its own for a direct thread, else {@link #socketMap}). */
    private final List<PortableMap> maps;

    private final AtomicBoolean stop = new AtomicBoolean();
    /** Restarts of the daemon announced so far (the coordinator's {@code R <n>}). */
    private volatile int epoch;

    private final Map<Integer, Long> epochStartNs = new ConcurrentHashMap<>();
    private final AtomicLong ops = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong verified = new AtomicLong();
    private final AtomicInteger reported = new AtomicInteger();
    private final long[] counterAcked;
    private final long[] counterUnknown;
    private final ValueLengths lengths;
    private long startNs;

    private TortureWorker(WorkerSpec spec, @Nullable PortableMap socketMap, List<PortableMap> maps) {
        this.spec = spec;
        this.lengths = new ValueLengths(spec.runId());
        this.socketMap = socketMap;
        this.maps = maps;
        this.counterAcked = new long[spec.counters()];
        this.counterUnknown = new long[spec.counters()];
    }

    public static void main(String[] args) throws Exception {
        WorkerSpec spec = WorkerSpec.parse(args);
        Options options = Options.defaults()
                .recovering(spec.recovering())
                .reconnectWindow(Duration.ofMillis(spec.reconnectWindowMs()));
        List<PortableMap> maps = new ArrayList<>();
        PortableMap socketMap = null;
        try {
            String url = spec.url();
            for (int t = 0; t < spec.threads(); t++) {
                if (url != null) {
                    if (socketMap == null) {
                        socketMap = SharedMap.connect(URI.create(url));
                    }
                    maps.add(socketMap);
                } else if (spec.direct(t)) {
                    maps.add(SharedMap.connect(socket(spec), options.directReads(true)));
                } else {
                    if (socketMap == null) {
                        socketMap = SharedMap.connect(socket(spec), options.directReads(false));
                    }
                    maps.add(socketMap);
                }
            }
            new TortureWorker(spec, socketMap, maps).run();
        } finally {
            for (PortableMap m : new LinkedHashSet<>(maps)) {
                m.close();
            }
        }
        System.out.flush();
        System.exit(0);
    }

    private static Path socket(WorkerSpec spec) {
        return Objects.requireNonNull(spec.socket(), "the daemon's socket");
    }

    private void run() throws Exception {
        say(WorkerReport.of(READY));
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = stdin.readLine()) != null && !line.equals("GO")) {
            if (line.equals("STOP")) {
                return;
            }
        }
        if (line == null) {
            return; // the coordinator is gone
        }
        startNs = System.nanoTime();
        epochStartNs.put(0, startNs);
        Thread.ofPlatform().daemon().name("stop-listener").start(() -> {
            try {
                String l;
                while ((l = stdin.readLine()) != null) {
                    if (l.equals("STOP")) {
                        break;
                    }
                    if (l.startsWith("R ")) { // the daemon was restarted: direct GETs from now on need its new store
                        int n = Integer.parseInt(l.substring(2).trim());
                        epochStartNs.put(n, System.nanoTime());
                        epoch = n;
                    }
                }
            } catch (IOException ignored) {
                // treat as STOP
            }
            stop.set(true);
        });
        long endNs = startNs + spec.durationMs() * 1_000_000;
        Thread heartbeat = Thread.ofPlatform().daemon().name("heartbeat").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                say(progress());
                try {
                    Thread.sleep(HEARTBEAT_MS); // the reporting period, not synchronisation
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<ThreadState> states = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(spec.threads());
        for (int t = 0; t < spec.threads(); t++) {
            ThreadState s =
                    new ThreadState(t, new SplittableRandom(spec.seed() * 1_000_003 + spec.process() * 1009L + t));
            states.add(s);
            Thread.ofPlatform().name("torture-" + t).start(() -> {
                try {
                    s.loop(endNs);
                } catch (RuntimeException | Error e) {
                    fail(Check.RUN, "worker thread " + s.writer + " broke: " + e);
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        heartbeat.interrupt();
        heartbeat.join();
        say(progress());
        writeResult(states, System.nanoTime());
        say(WorkerReport.of(DONE));
    }

    /** The worker's progress report: operations completed, client errors and failures so far. */
    private WorkerReport progress() {
        return WorkerReport.of(PROGRESS)
                .with("ops", ops.get())
                .with("errors", errors.get())
                .with("failures", failures.get());
    }

    private static void say(WorkerReport report) {
        synchronized (System.out) {
            System.out.println(report.line());
            System.out.flush();
        }
    }

    /** A failure of {@code check} (a {@link Check}'s report name) that this worker saw. */
    private void fail(Check check, String what) {
        failures.incrementAndGet();
        if (reported.incrementAndGet() <= MAX_REPORTED) {
            say(WorkerReport.of(FAILURE).with("check", check.reportName()).with("message", what));
        }
    }

    private void error(String what, SharedMapException e) {
        errors.incrementAndGet();
        if (reported.incrementAndGet() <= MAX_REPORTED) {
            say(WorkerReport.of(ERROR)
                    .with("message", what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
    }

    /** One thread's state and its loop. */
    private final class ThreadState {
        final long writer;
        final SplittableRandom random;
        final PortableMap map;
        final boolean direct;
        long writes;
        long deletes;
        final Map<Long, Long> seen = new HashMap<>();
        final List<LinOp> history = new ArrayList<>();
        final long[] lastVersion = new long[Math.max(1, spec.linKeys())];
        long linValues;
        /** Direct threads, by the restart epoch in which they began: {GETs, of which the store answered}. */
        final Map<Integer, long[]> directByEpoch = new HashMap<>();
        /** Whether the last {@link #get} was answered from the mapped store. */
        boolean lastDirect;
        /** Values written (SET and CAS), by {@link ValueLengths.Choice} (its ordinal). */
        final long[] lengthChoices = new long[ValueLengths.Choice.values().length];

        ThreadState(int thread, SplittableRandom random) {
            this.writer = TortureValue.writerId(spec.process(), thread);
            this.random = random;
            this.map = maps.get(thread);
            this.direct = spec.direct(thread);
        }

        /**
         * GET through this thread's client, noting whether the mapped store answered it (exact: a
         * direct thread's client is its own, and a socket-only client never reads the store).
         */
        Optional<Entry> get(byte[] key) {
            if (!direct) {
                lastDirect = false;
                return map.get(key);
            }
            long[] counts = directByEpoch.computeIfAbsent(epoch, e -> new long[2]);
            SharedMap local = (SharedMap) map; // direct threads exist only with a socket
            long before = local.readStats().direct();
            try {
                return local.get(key);
            } finally {
                lastDirect = local.readStats().direct() > before;
                counts[0]++;
                counts[1] += lastDirect ? 1 : 0;
            }
        }

        /** Counts how {@code length} was chosen and returns its bytes. */
        int chosen(ValueLengths.Length length) {
            lengthChoices[length.choice().ordinal()]++;
            return length.bytes();
        }

        void loop(long endNs) {
            long durationNs = Math.max(1, endNs - startNs);
            while (!stop.get()) {
                long now = System.nanoTime();
                if (now - endNs >= 0) {
                    return;
                }
                int r = random.nextInt(100);
                if (r < 25
                        && spec.linKeys() > 0
                        && history.size()
                                < (long) ((double) spec.linOpsPerThread()
                                        * (now - startNs + durationNs / 20)
                                        / durationNs)) {
                    historyOp();
                } else if (r < 60) {
                    write();
                } else if (r < 85 || spec.counters() == 0) {
                    read();
                } else {
                    increment();
                }
                ops.incrementAndGet();
            }
        }

        void write() {
            int k = random.nextInt(spec.keys());
            byte[] key = spec.valueKey(k).getBytes(StandardCharsets.UTF_8);
            if (random.nextInt(20) == 0) {
                deletes++;
                try {
                    map.delete(key);
                } catch (SharedMapException e) {
                    error("DELETE " + spec.valueKey(k), e);
                }
                return;
            }
            long n = ++writes;
            int overhead = TortureValue.HEADER_LENGTH + TortureValue.TRAILER_LENGTH;
            int payload = chosen(lengths.corruption(k, key.length, overhead, random)) - overhead;
            byte[] value = TortureValue.encode(spec.runId(), k, writer, n, payload);
            try {
                map.set(key, value);
            } catch (SharedMapException e) {
                error("SET " + spec.valueKey(k), e);
            }
        }

        void read() {
            int k = random.nextInt(spec.keys());
            Optional<Entry> e;
            try {
                e = get(spec.valueKey(k).getBytes(StandardCharsets.UTF_8));
            } catch (SharedMapException ex) {
                error("GET " + spec.valueKey(k), ex);
                return;
            }
            if (e.isEmpty()) {
                return;
            }
            try {
                TortureValue.Stamp s = TortureValue.verify(e.get().value(), spec.runId(), k);
                seen.merge(s.writer(), s.write(), Math::max);
                verified.incrementAndGet();
            } catch (IllegalArgumentException bad) {
                fail(
                        Check.CORRUPTION,
                        spec.valueKey(k) + " at v" + e.get().version()
                                + (lastDirect ? " (read from the mapped store)" : "") + ": " + bad.getMessage());
            }
        }

        void increment() {
            int c = random.nextInt(spec.counters());
            byte[] key = spec.counterKey(c).getBytes(StandardCharsets.UTF_8);
            for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS && !stop.get(); attempt++) {
                Optional<Entry> e;
                try {
                    e = get(key);
                } catch (SharedMapException ex) {
                    error("GET " + spec.counterKey(c), ex);
                    return;
                }
                long n;
                try {
                    n = e.map(x -> Long.parseLong(x.valueAsString())).orElse(0L);
                } catch (NumberFormatException bad) {
                    fail(
                            Check.LOST_UPDATES,
                            spec.counterKey(c) + " holds '" + e.get().valueAsString() + "', not a number");
                    return;
                }
                CasResult r;
                try {
                    r = map.compareAndSet(
                            key,
                            e.map(Entry::version).orElse(0L),
                            Long.toString(n + 1).getBytes(StandardCharsets.UTF_8));
                } catch (SharedMapException ex) {
                    synchronized (counterUnknown) {
                        counterUnknown[c]++;
                    }
                    error("CAS " + spec.counterKey(c), ex);
                    return;
                }
                if (r instanceof CasResult.Applied) {
                    synchronized (counterAcked) {
                        counterAcked[c]++;
                    }
                    return;
                }
            }
        }

        void historyOp() {
            int k = random.nextInt(spec.linKeys());
            byte[] key = spec.linKey(k).getBytes(StandardCharsets.UTF_8);
            int r = random.nextInt(100);
            long id = (writer & 0xFFFF_0000_0000L) << 16 | (writer & 0xFFFF) << 32 | ++linValues;
            if (r < 35) {
                long invoke = System.nanoTime();
                try {
                    Optional<Entry> e = get(key);
                    long complete = System.nanoTime();
                    if (e.isEmpty()) {
                        history.add(new LinOp(
                                k, writer, Kind.GET, invoke, complete, 0, 0, Result.NOT_FOUND, 0, lastDirect));
                        return;
                    }
                    long read;
                    try {
                        read = TortureValue.historyId(e.get().value());
                    } catch (IllegalArgumentException bad) {
                        fail(
                                Check.CORRUPTION,
                                "history key " + spec.linKey(k) + " at v"
                                        + e.get().version() + (lastDirect ? " (read from the mapped store)" : "") + ": "
                                        + bad.getMessage());
                        return;
                    }
                    lastVersion[k] = e.get().version();
                    history.add(new LinOp(
                            k,
                            writer,
                            Kind.GET,
                            invoke,
                            complete,
                            0,
                            read,
                            Result.FOUND,
                            e.get().version(),
                            lastDirect));
                } catch (SharedMapException ex) {
                    error("GET " + spec.linKey(k), ex);
                }
            } else if (r < 60) {
                byte[] value =
                        TortureValue.historyValue(id, chosen(lengths.history(k, key.length, Long.BYTES, random)));
                long invoke = System.nanoTime();
                try {
                    SetResult s = map.set(key, value);
                    long complete = System.nanoTime();
                    lastVersion[k] = s.version();
                    history.add(new LinOp(k, writer, Kind.SET, invoke, complete, 0, id, Result.OK, s.version()));
                } catch (SharedMapException ex) {
                    history.add(
                            new LinOp(k, writer, Kind.SET, invoke, LinOp.UNKNOWN_COMPLETION, 0, id, Result.UNKNOWN, 0));
                    error("SET " + spec.linKey(k), ex);
                }
            } else if (r < 82) {
                long expected = random.nextInt(10) == 0 ? 0 : lastVersion[k];
                byte[] value =
                        TortureValue.historyValue(id, chosen(lengths.history(k, key.length, Long.BYTES, random)));
                long invoke = System.nanoTime();
                try {
                    CasResult c = map.compareAndSet(key, expected, value);
                    long complete = System.nanoTime();
                    switch (c) {
                        case CasResult.Applied a -> {
                            lastVersion[k] = a.version();
                            history.add(new LinOp(
                                    k, writer, Kind.CAS, invoke, complete, expected, id, Result.APPLIED, a.version()));
                        }
                        case CasResult.Conflict x -> {
                            lastVersion[k] = x.currentVersion();
                            history.add(new LinOp(
                                    k,
                                    writer,
                                    Kind.CAS,
                                    invoke,
                                    complete,
                                    expected,
                                    id,
                                    Result.CONFLICT,
                                    x.currentVersion()));
                        }
                    }
                } catch (SharedMapException ex) {
                    history.add(new LinOp(
                            k, writer, Kind.CAS, invoke, LinOp.UNKNOWN_COMPLETION, expected, id, Result.UNKNOWN, 0));
                    error("CAS " + spec.linKey(k), ex);
                }
            } else {
                // DELETE: unconditional, or (half the time, when a version is known) of the version last seen
                long expected = r < 91 || lastVersion[k] == 0 ? 0 : lastVersion[k];
                long invoke = System.nanoTime();
                try {
                    DeleteResult d = expected == 0 ? map.delete(key) : map.delete(key, expected);
                    long complete = System.nanoTime();
                    Result result = switch (d.outcome()) {
                        case DELETED -> Result.DELETED;
                        case NOT_FOUND -> Result.NOT_FOUND;
                        case CONFLICT -> Result.CONFLICT;
                    };
                    lastVersion[k] = d.outcome() == DeleteResult.Outcome.CONFLICT ? d.version() : 0;
                    history.add(new LinOp(k, writer, Kind.DELETE, invoke, complete, expected, 0, result, d.version()));
                } catch (SharedMapException ex) {
                    history.add(new LinOp(
                            k, writer, Kind.DELETE, invoke, LinOp.UNKNOWN_COMPLETION, expected, 0, Result.UNKNOWN, 0));
                    error("DELETE " + spec.linKey(k), ex);
                }
            }
        }
    }

    /**
     * The result file the coordinator reads ({@link TortureRun}): one {@link WorkerReport} a line,
     * of the kinds {@code ops}, {@code client}, {@code epoch}, {@code end}, {@code deletes}, {@code
     * lengths}, {@code writer}, {@code seen}, {@code counter} and {@code history} ({@link
     * LinOp#report}).
     */
    private void writeResult(List<ThreadState> states, long endNs) throws IOException {
        Files.createDirectories(spec.result().getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(spec.result(), StandardCharsets.UTF_8))) {
            Consumer<WorkerReport> out = r -> w.println(r.line());
            out.accept(WorkerReport.of("ops")
                    .with("count", ops.get())
                    .with("errors", errors.get())
                    .with("failures", failures.get())
                    .with("verified", verified.get()));
            // each client's own counts: its path, GETs from the store, GETs through the socket, store mapped now
            for (PortableMap m : new LinkedHashSet<>(maps)) {
                if (spec.url() != null || !(m instanceof SharedMap local)) {
                    break; // through a URL: no read counts to give (a unix: URL's reads are not judged either)
                }
                SharedMap.ReadStats r = local.readStats();
                out.accept(WorkerReport.of("client")
                        .with("path", m == socketMap ? "S" : "D")
                        .with("direct", r.direct())
                        .with("socket", r.socket())
                        .with("mapped", r.viewMapped()));
            }
            // per restart epoch (0: from GO): when this worker heard of it, and the direct threads' GETs
            // begun in it, and how many of those the store answered
            Map<Integer, long[]> direct = new HashMap<>();
            for (ThreadState s : states) {
                s.directByEpoch.forEach((e, n) -> {
                    long[] sum = direct.computeIfAbsent(e, x -> new long[2]);
                    sum[0] += n[0];
                    sum[1] += n[1];
                });
            }
            new TreeMap<>(epochStartNs).forEach((e, t) -> {
                long[] n = direct.getOrDefault(e, new long[2]);
                out.accept(WorkerReport.of("epoch")
                        .with("epoch", e)
                        .with("heard", t)
                        .with("gets", n[0])
                        .with("fromStore", n[1]));
            });
            out.accept(WorkerReport.of("end")
                    .with("at", endNs)
                    .with("directThreads", states.stream().filter(s -> s.direct).count()));
            out.accept(WorkerReport.of("deletes")
                    .with("count", states.stream().mapToLong(s -> s.deletes).sum()));
            WorkerReport chosen = WorkerReport.of("lengths");
            for (ValueLengths.Choice c : ValueLengths.Choice.values()) {
                chosen = chosen.with(
                        c.name().toLowerCase(Locale.ROOT),
                        states.stream()
                                .mapToLong(s -> s.lengthChoices[c.ordinal()])
                                .sum());
            }
            out.accept(chosen);
            Map<Long, Long> seen = new HashMap<>();
            for (ThreadState s : states) {
                out.accept(WorkerReport.of("writer").with("writer", s.writer).with("writes", s.writes));
                s.seen.forEach((k, v) -> seen.merge(k, v, Math::max));
            }
            seen.forEach((k, v) ->
                    out.accept(WorkerReport.of("seen").with("writer", k).with("write", v)));
            for (int c = 0; c < spec.counters(); c++) {
                out.accept(WorkerReport.of("counter")
                        .with("counter", c)
                        .with("acked", counterAcked[c])
                        .with("unknown", counterUnknown[c]));
            }
            for (ThreadState s : states) {
                for (LinOp op : s.history) {
                    out.accept(op.report());
                }
            }
        }
    }
}
