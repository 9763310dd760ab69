package io.sharedmap.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * One load process of {@code sharedmap bench}. It connects, warms up, prints {@code READY}, waits
 * for {@code GO} on standard input (the barrier that releases all workers together, so JVM
 * start-up is never timed), runs its operations, prints one result line and exits:
 *
 * <pre>
 * READY warmupOps warmupNs quiet
 * RESULT startNs endNs ops misses truncated cpuNs histogram directReads socketReads
 * </pre>
 *
 * where {@code warmupOps} and {@code warmupNs} are what the warm-up took, {@code quiet} is 1 if it
 * ended because the JIT was quiet ({@link JitQuiet}), 0 if at a bound; {@code startNs}/{@code
 * endNs} are {@link System#nanoTime()} (CLOCK_MONOTONIC on Linux, comparable across processes),
 * {@code misses} counts reads that found no value, {@code truncated} is 1 if the time bound stopped
 * the loop early, {@code cpuNs} is this process's CPU time during the timed loop, and {@code
 * histogram} is the per-operation latency in nanoseconds as a
 * compressed, Base64-encoded HdrHistogram (recorded in nanoseconds, so sub-microsecond latencies keep
 * three significant digits). {@code directReads} and {@code socketReads} are the timed loop's GETs
 * that the sharedmap client answered from the daemon's mapped store and through the socket
 * (its {@code readStats()}); both -1 for a store without a direct path. On failure it prints
 * {@code FAILED message} and exits 1.
 * Every wait is bounded: no GO within {@code goTimeoutMs}, and the process exits by itself.
 *
 * <p>Without a rate, each operation starts when the last one is answered (a closed loop), and its
 * latency is its own round trip. With one ({@code --rate}, {@link WorkerSpec#intervalNs}), the
 * operations are due at even intervals after GO; the worker sleeps until each is due and times it
 * from then, so an operation that had to wait for an earlier slow one counts that wait (or, with
 * {@link WorkerSpec#timeFromDue} false, from when it was sent).
 */
public final class BenchWorker {
    /** Latencies above this are recorded as this. */
    static final long HIGHEST_TRACKABLE_NS = TimeUnit.SECONDS.toNanos(60);

    /**
     * Latencies are recorded in nanoseconds from 1 ns (HdrHistogram's lowest discernible value) with
     * 3 significant digits: a 350 ns read is kept as 350 ns (not rounded to a microsecond), a 35 µs
     * one to within 32 ns, a 60 s one to within 0.1%.
     */
    static final long LOWEST_DISCERNIBLE_NS = 1;

    static final int SIGNIFICANT_DIGITS = 3;

    /** A histogram as every worker and the merge use it (see {@link #LOWEST_DISCERNIBLE_NS}). */
    static Histogram newHistogram() {
        return new Histogram(LOWEST_DISCERNIBLE_NS, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    }

    private final WorkerSpec spec;
    private final KvClient kv;
    private final SplittableRandom random;
    private final @Nullable ZipfGenerator zipf;
    private final byte[][] keys;
    private final byte[] value;
    /** The scale workload's computed keys and values (its key sets are too large to hold), else null. */
    private final @Nullable ScaleKeys scale;

    private long misses;

    private BenchWorker(WorkerSpec spec, KvClient kv) {
        this.spec = spec;
        this.kv = kv;
        this.random = new SplittableRandom(spec.seed());
        if (spec.workload() == Workload.SEED) {
            this.keys = new byte[][] {KeySpace.seedKey()};
            this.value = KeySpace.seedValue();
        } else {
            this.keys = spec.workload().needsPreload() ? KeySpace.keys(spec.keys()) : new byte[0][];
            this.value = KeySpace.value(spec.valueSize(), spec.seed() ^ 0x5DEECE66DL);
        }
        this.zipf = spec.workload() == Workload.ZIPF ? new ZipfGenerator(spec.keys(), spec.zipfTheta()) : null;
        this.scale = spec.workload() == Workload.SCALE ? new ScaleKeys(spec.keySize(), spec.valueSize()) : null;
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        try {
            WorkerSpec spec = WorkerSpec.parse(args);
            Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(spec.goTimeoutMs() + spec.maxRunMs() + 60_000);
                    System.err.println("bench worker: overall time bound exceeded, exiting");
                    Runtime.getRuntime().halt(4);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            watchdog.setName("bench-worker-watchdog");
            try (KvClient kv = spec.kind() == TargetSpec.Kind.CHRONICLE
                    ? ChronicleKv.open(
                            Objects.requireNonNull(spec.socket(), "the map file"),
                            spec.keys(),
                            spec.keySize(),
                            spec.valueSize())
                    : KvClient.connect(spec.target(), spec.socket(), spec.clientSpinUs(), !spec.clientPlain())) {
                String result = new BenchWorker(spec, kv).run(out);
                out.println(result);
                out.flush();
            }
            System.exit(0);
        } catch (Throwable t) {
            out.println("FAILED " + String.valueOf(t).replace('\n', ' '));
            out.flush();
            t.printStackTrace();
            System.exit(1);
        }
    }

    private String run(PrintStream out) throws Exception {
        long total = spec.mix().totalOps(spec.ops());
        Histogram histogram = newHistogram();
        // Warm-up: the timed loop itself, so the JIT compiles the code that is then timed (a loop of its
        // own would leave the timed one to start interpreted). Untimed, unpaced, bounded by count and
        // time, and over once this process's JIT has been quiet for warmupQuietMs (JitQuiet). A paced
        // cell's loop takes a branch at GO that the warm-up never took and is compiled again then.
        long warmStart = System.nanoTime();
        Loop warm = loop(
                spec.warmupOps(),
                warmStart,
                warmStart + TimeUnit.MILLISECONDS.toNanos(spec.warmupMs()),
                0,
                0,
                histogram,
                JitQuiet.start(spec.warmupQuietMs(), warmStart));
        histogram.reset();
        misses = 0;
        out.println("READY " + warm.done() + " " + (warm.end() - warmStart) + " " + (warm.quiet() ? 1 : 0));
        out.flush();
        awaitGo();

        KvClient.Reads reads0 = kv.reads();
        long cpu0 = cpuNs();
        long start = System.nanoTime();
        long interval = spec.intervalNs();
        // Paced (--rate): operation i is due at start + phase + i * interval. The phase, random per
        // process, keeps the processes from sending in step.
        long phase = interval > 0 ? new SplittableRandom(spec.seed() ^ 0x9E3779B97F4A7C15L).nextLong(interval) : 0;
        // A watch that is never quiet, not null: the loop's compiled code keeps the warm-up's branches.
        Loop timed = loop(
                total,
                start,
                start + TimeUnit.MILLISECONDS.toNanos(spec.maxRunMs()),
                interval,
                phase,
                histogram,
                JitQuiet.never(start));
        long cpu = cpuNs() - cpu0;
        KvClient.Reads reads1 = kv.reads();
        long direct = reads0 == null || reads1 == null ? -1 : reads1.direct() - reads0.direct();
        long socket = reads0 == null || reads1 == null ? -1 : reads1.socket() - reads0.socket();
        boolean truncated = timed.done() < total;
        return "RESULT " + start + " " + timed.end() + " " + timed.done() + " " + misses + " " + (truncated ? 1 : 0)
                + " " + cpu + " " + encode(histogram) + " " + direct + " " + socket;
    }

    /**
     * How a run of {@link #loop} ended: operations done, {@link System#nanoTime()} at the end, and
     * whether the JIT's quiet ended it.
     */
    private record Loop(long done, long end, boolean quiet) {}

    /**
     * Runs up to {@code total} operations from {@code start}, each one's latency into {@code histogram},
     * and stops early once {@code deadline} has passed or {@code jit} has been quiet long enough.
     * Without {@code interval} each operation starts when the last one is answered and is timed from
     * then; with it, operation i is due at {@code start + phase + i * interval}, the loop sleeps
     * until then and times it from then (wrk2's way: a server that falls behind is charged for the wait
     * of every operation queued behind it) or, with {@link WorkerSpec#timeFromDue} false, from when it
     * was sent; it stops before sleeping past {@code deadline}.
     */
    private Loop loop(
            long total, long start, long deadline, long interval, long phase, Histogram histogram, JitQuiet jit) {
        long done = 0;
        long t0 = start;
        while (done < total) {
            if (interval > 0) {
                long due = start + phase + done * interval;
                if (due - deadline > 0) { // the next operation is due after the time bound: stop now
                    break;
                }
                sleepUntil(due);
                t0 = spec.timeFromDue() ? due : System.nanoTime();
            }
            op(done);
            long t1 = System.nanoTime();
            histogram.recordValue(Math.min(t1 - t0, HIGHEST_TRACKABLE_NS));
            done++;
            t0 = t1;
            if (t1 - deadline > 0) {
                break;
            }
            if (jit.quiet(t1)) {
                return new Loop(done, t0, true);
            }
        }
        return new Loop(done, t0, false);
    }

    /**
     * Sleeps until {@link System#nanoTime()} reaches {@code due}. Linux wakes a sleeper up to its timer
     * slack late (50 µs by default), and a paced operation's latency includes that lateness.
     */
    private static void sleepUntil(long due) {
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    private void op(long i) {
        switch (spec.mix()) {
            case PING -> kv.ping();
            case READ -> read();
            case WRITE -> write();
            case RW -> {
                if ((i & 1) == 0) {
                    write();
                } else {
                    read();
                }
            }
        }
    }

    private void read() {
        if (kv.get(nextKey()) == null) {
            misses++;
        }
    }

    /**
     * A SET of a random key; in the scale workload with the key's own value, the one it was loaded
     * with, so that a check after a restart knows every key's value whatever the SET cells did.
     */
    private void write() {
        ScaleKeys scale = this.scale;
        if (scale != null) {
            int k = random.nextInt(spec.keys());
            kv.set(scale.key(k), scale.value(k));
        } else {
            kv.set(nextKey(), value);
        }
    }

    private byte[] nextKey() {
        return switch (spec.workload()) {
            case SEED -> keys[0];
            case UNIFORM -> keys[random.nextInt(keys.length)];
            case ZIPF ->
                keys[
                        Objects.requireNonNull(zipf, "the zipf workload's generator")
                                .next(random)];
            case SCALE -> scaleKeys().key(random.nextInt(spec.keys()));
            case PING -> throw new IllegalStateException("ping uses no keys");
        };
    }

    private ScaleKeys scaleKeys() {
        return Objects.requireNonNull(scale, "the scale workload's keys");
    }

    private void awaitGo() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spec.goTimeoutMs());
        // System.in cannot be read with a timeout; a daemon thread reads and this one waits, bounded.
        CompletableFuture<String> line = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("bench-worker-stdin").start(() -> {
            try {
                line.complete(in.readLine());
            } catch (Exception e) {
                line.completeExceptionally(e);
            }
        });
        String got = line.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (!"GO".equals(got)) {
            throw new IllegalStateException("expected GO on stdin but got " + got);
        }
    }

    /**
     * This process's CPU time, all threads: from the OS's per-process clock (nanoseconds) where the
     * JDK offers it, else from {@code /proc} (clock ticks, 10 ms: too coarse for the short cells of
     * direct reads).
     */
    private static long cpuNs() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            long ns = os.getProcessCpuTime();
            if (ns >= 0) {
                return ns;
            }
        }
        return ProcessHandle.current()
                .info()
                .totalCpuDuration()
                .map(Duration::toNanos)
                .orElse(-1L);
    }

    static String encode(Histogram h) {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(buf);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), n));
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(
                    ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("bad histogram from worker: " + e.getMessage(), e);
        }
    }
}
