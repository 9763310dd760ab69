package io.sharedmap.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * Runs one cell: spawns P {@link BenchWorker} JVMs against one server, waits until all are READY,
 * releases them together with GO, collects and merges their results, and reads the server's CPU
 * time before and after. Every wait is bounded; on any failure all workers are killed and the
 * cell is reported as failed.
 */
final class CellRunner {
    private static final long EXIT_TIMEOUT_MS = 10_000;

    /** Settings for spawning workers. */
    record Spawn(
            String javaCommand,
            String classPath,
            List<String> workerJvmOptions,
            Path logDir,
            Path workDir,
            long readyTimeoutMs,
            long cellTimeoutMs,
            boolean countSyscalls,
            long clientSpinUs,
            long rate,
            boolean timeFromDue,
            boolean clientPlain) {}

    private record Line(int worker, @Nullable String text) {}

    /** Workers running now, so that an interrupted run can kill them (see {@link #killAll}). */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    /** Kills every worker still running; for the shutdown hook of an interrupted run. */
    static void killAll() {
        for (Process p : LIVE) {
            p.destroyForcibly();
        }
    }

    private CellRunner() {}

    static CellResult run(
            BenchServer server, Workload workload, Mix mix, int processes, BenchCommand.Load load, Spawn spawn)
            throws InterruptedException {
        List<Process> workers = new ArrayList<>();
        BlockingQueue<Line> lines = new LinkedBlockingQueue<>();
        String target = server.spec().remote()
                ? server.spec().urlLabel()
                : server.spec().kind().label();
        String cell = target + "-" + workload.label() + "-" + mix.label() + "-p" + processes;
        try {
            long maxRunMs = Math.max(1_000, spawn.cellTimeoutMs() - 30_000);
            for (int i = 0; i < processes; i++) {
                WorkerSpec ws = new WorkerSpec(
                        server.spec().kind(),
                        server.spec().remote() ? null : server.socket(),
                        server.spec().url(),
                        workload,
                        mix,
                        load.ops(),
                        load.keys(),
                        load.keySize(),
                        load.valueSize(),
                        load.zipfTheta(),
                        load.seed() + 1_000_003L * (i + 1),
                        load.warmupOps(server.spec().kind()),
                        load.warmupMs(),
                        load.warmupQuietMs(),
                        spawn.readyTimeoutMs() + 60_000,
                        maxRunMs,
                        spawn.clientSpinUs(),
                        spawn.rate() == 0 ? 0 : Math.ceilDiv(processes * 1_000_000_000L, spawn.rate()),
                        spawn.timeFromDue(),
                        spawn.clientPlain());
                List<String> cmd = new ArrayList<>();
                cmd.add(spawn.javaCommand());
                cmd.addAll(spawn.workerJvmOptions());
                if (server.spec().kind() == TargetSpec.Kind.CHRONICLE) {
                    cmd.addAll(ChronicleKv.JVM_OPTIONS);
                }
                if (server.spec().remote()) {
                    // Netty, under the remote backends' clients, allocates through sun.misc.Unsafe: JDK 25 warns
                    cmd.add("--sun-misc-unsafe-memory-access=allow");
                }
                cmd.add("-cp");
                cmd.add(spawn.classPath());
                cmd.add(BenchWorker.class.getName());
                cmd.addAll(ws.toArgs());
                Process p = new ProcessBuilder(cmd)
                        .redirectError(ProcessBuilder.Redirect.appendTo(
                                spawn.logDir().resolve("workers.log").toFile()))
                        .start();
                workers.add(p);
                LIVE.add(p);
                int index = i;
                Thread.ofPlatform().daemon().name("bench-worker-out-" + i).start(() -> readLines(p, index, lines));
            }

            // Barrier: everyone READY, then GO to all.
            String[] ready = new String[processes];
            String[] results = new String[processes];
            boolean[] gone = new boolean[processes];
            await(lines, workers, "READY", ready, gone, spawn.readyTimeoutMs(), cell);
            SyscallCounter counter = spawn.countSyscalls()
                    ? SyscallCounter.start(
                            server.pid(),
                            spawn.logDir().resolve("perf-" + cell + ".csv"),
                            spawn.cellTimeoutMs() / 1000 + 60)
                    : null;
            long cpu0 = server.cpuNs();
            MachineCpu.Sample machine0 = MachineCpu.sample();
            DiskIo disk0 = server.started() ? DiskIo.of(spawn.workDir()) : null;
            long window0 = System.nanoTime();
            for (Process p : workers) {
                OutputStream in = p.getOutputStream();
                in.write("GO\n".getBytes(StandardCharsets.US_ASCII));
                in.flush();
            }
            await(lines, workers, "RESULT", results, gone, spawn.cellTimeoutMs(), cell);
            long cpu1 = server.cpuNs();
            MachineCpu.Sample machine1 = MachineCpu.sample();
            DiskIo disk1 = disk0 == null ? null : DiskIo.of(spawn.workDir());
            long windowNs = System.nanoTime() - window0;
            Map<String, Long> syscalls = counter == null ? Map.of() : counter.stop();
            for (Process p : workers) {
                p.getOutputStream().close();
                if (!p.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                }
            }
            return merge(
                    server,
                    workload,
                    mix,
                    processes,
                    load.ops(),
                    ready,
                    results,
                    cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0,
                    machine1.busySince(machine0),
                    machine1.contextSwitchesSince(machine0),
                    windowNs,
                    syscalls,
                    disk0 == null || disk1 == null ? null : disk1.since(disk0));
        } catch (IOException | CellFailure e) {
            return failed(server, workload, mix, processes, load.ops(), String.valueOf(e.getMessage()));
        } finally {
            for (Process p : workers) {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            }
            for (Process p : workers) {
                p.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                LIVE.remove(p);
            }
        }
    }

    private static void readLines(Process p, int worker, BlockingQueue<Line> lines) {
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(new Line(worker, line));
            }
        } catch (IOException e) {
            // the process went away; EOF below
        }
        lines.add(new Line(worker, null));
    }

    /**
     * Waits until every worker has printed a line starting with {@code word}; the lines go into
     * {@code seenLines}. {@code gone} marks workers whose output ended, across calls.
     */
    private static void await(
            BlockingQueue<Line> lines,
            List<Process> workers,
            String word,
            String[] seenLines,
            boolean[] gone,
            long timeoutMs,
            String cell)
            throws InterruptedException, CellFailure {
        boolean[] seen = new boolean[workers.size()];
        int remaining = workers.size();
        for (int i = 0; i < gone.length; i++) {
            if (gone[i]) {
                throw new CellFailure(cell + ": worker " + i + " exited before " + word + " (see workers.log)");
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (remaining > 0) {
            long left = deadline - System.nanoTime();
            Line line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new CellFailure(cell + ": " + remaining + " of " + workers.size() + " workers did not print "
                        + word + " within " + timeoutMs / 1000 + " s");
            }
            if (line.text() == null) {
                gone[line.worker()] = true;
                if (seen[line.worker()]) {
                    continue; // it said what it had to and exited
                }
                throw new CellFailure(
                        cell + ": worker " + line.worker() + " exited before " + word + " (see workers.log)");
            }
            if (line.text().startsWith("FAILED")) {
                throw new CellFailure(cell + ": worker " + line.worker() + " " + line.text());
            }
            if (line.text().startsWith(word) && !seen[line.worker()]) {
                seen[line.worker()] = true;
                remaining--;
                seenLines[line.worker()] = line.text();
            }
        }
    }

    private static CellResult merge(
            BenchServer server,
            Workload workload,
            Mix mix,
            int processes,
            long opsPerProcess,
            String[] ready,
            String[] results,
            long daemonCpuNs,
            long busyNs,
            long contextSwitches,
            long windowNs,
            Map<String, Long> syscalls,
            @Nullable DiskIo disk) {
        Histogram merged = BenchWorker.newHistogram();
        double[] seconds = new double[processes];
        long firstStart = Long.MAX_VALUE;
        long lastEnd = Long.MIN_VALUE;
        long maxElapsed = 0;
        long ops = 0;
        long misses = 0;
        long clientCpu = 0;
        long directReads = 0;
        long socketReads = 0;
        boolean truncated = false;
        long warmupNs = 0;
        int warmupQuiet = 0;
        for (int i = 0; i < processes; i++) {
            String[] w = ready[i].split(" "); // READY ops ns quiet; a bare READY says nothing of its warm-up
            if (w.length >= 4 && w[2].matches("\\d{1,18}")) {
                warmupNs = Math.max(warmupNs, Long.parseLong(w[2]));
                warmupQuiet += w[3].equals("1") ? 1 : 0;
            }
            String[] f = results[i].split(" ");
            long start = Long.parseLong(f[1]);
            long end = Long.parseLong(f[2]);
            ops += Long.parseLong(f[3]);
            misses += Long.parseLong(f[4]);
            truncated |= f[5].equals("1");
            clientCpu += Math.max(0, Long.parseLong(f[6]));
            merged.add(BenchWorker.decode(f[7]));
            long direct = f.length > 9 ? Long.parseLong(f[8]) : -1;
            long socket = f.length > 9 ? Long.parseLong(f[9]) : -1;
            directReads = directReads < 0 || direct < 0 ? -1 : directReads + direct;
            socketReads = socketReads < 0 || socket < 0 ? -1 : socketReads + socket;
            seconds[i] = (end - start) / 1e9;
            firstStart = Math.min(firstStart, start);
            lastEnd = Math.max(lastEnd, end);
            maxElapsed = Math.max(maxElapsed, end - start);
        }
        long wall = lastEnd - firstStart;
        if (wall < maxElapsed || wall > 2 * maxElapsed + 1_000_000_000L) {
            wall = maxElapsed; // clocks not comparable across processes: fall back to the slowest process
        }
        long other = busyNs < 0 || daemonCpuNs < 0 ? -1 : Math.max(0, busyNs - daemonCpuNs - clientCpu);
        // Busy time and context switches were read from GO to the last RESULT, a longer window than the
        // timed loops (it adds start-up, the histograms' encoding, the harness itself): count them at the
        // window's rate over the timed wall time, or short cells (direct reads) look busy when they are not.
        double timedShare = windowNs > wall && wall > 0 ? (double) wall / windowNs : 1;
        if (other > 0) {
            other = (long) (other * timedShare);
        }
        long switches = contextSwitches < 0 ? -1 : Math.round(contextSwitches * timedShare);
        double busyShare = MachineCpu.share(busyNs, windowNs);
        return new CellResult(
                server.label(),
                server.spec().kind(),
                workload,
                mix,
                processes,
                opsPerProcess,
                ops,
                misses,
                truncated,
                null,
                wall,
                seconds,
                merged,
                daemonCpuNs,
                clientCpu,
                other,
                busyShare,
                switches,
                syscalls,
                disk,
                directReads,
                socketReads,
                warmupNs,
                warmupQuiet,
                0);
    }

    private static CellResult failed(
            BenchServer server, Workload workload, Mix mix, int processes, long opsPerProcess, String error) {
        return new CellResult(
                server.label(),
                server.spec().kind(),
                workload,
                mix,
                processes,
                opsPerProcess,
                0,
                0,
                false,
                error,
                0,
                new double[0],
                BenchWorker.newHistogram(),
                -1,
                0,
                -1,
                -1,
                -1,
                Map.of(),
                null,
                -1,
                -1,
                0,
                0,
                0);
    }

    /** A cell could not complete. */
    static final class CellFailure extends Exception {
        private static final long serialVersionUID = 1L;

        CellFailure(String message) {
            super(message);
        }
    }
}
