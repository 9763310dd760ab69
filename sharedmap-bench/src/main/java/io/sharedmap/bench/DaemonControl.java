package io.sharedmap.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Everything the harness does to a server it started besides starting it the first time and
 * stopping it at the end: a graceful stop, a {@code kill -9}, and a start on the same data until a
 * GET of a known key answers with its value. Used by the scale workload ({@link ScaleRun}); kept
 * in this one class, over {@link BenchServer}'s public-to-the-package surface (its {@code start},
 * {@code pid}, {@code close}), so that the launcher that replaces {@code BenchServer} can take it
 * over whole.
 *
 * <ul>
 *   <li>Graceful stop: sharedmap, SIGTERM, what {@code sharedmap stop} sends (the daemon refuses new
 *       work, finishes what is in flight, syncs its journal and exits); Redis, {@code SHUTDOWN}
 *       (it fsyncs its AOF and exits). Then waits for the process to exit.
 *   <li>{@code kill -9}: SIGKILL, then waits for the process to exit.
 *   <li>Start: {@link BenchServer#start} again with the same settings (same data directory, same
 *       socket), logging into a directory of its own; then GETs a known key on a fresh connection
 *       until its value comes back.
 * </ul>
 *
 * Every wait is bounded: {@value #EXIT_TIMEOUT_MS} ms for an exit, {@link BenchServer}'s own bound
 * for the start, {@code serveTimeoutMs} for the GET.
 */
final class DaemonControl {
    static final long EXIT_TIMEOUT_MS = 120_000;

    private DaemonControl() {}

    /** A key and the value a server must answer with once it serves. */
    record Probe(byte[] key, byte[] value) {}

    /**
     * One restart.
     *
     * @param server the server now running (a new {@link BenchServer}; the old one is closed)
     * @param stopNs from the signal (or SHUTDOWN) until the old process had exited
     * @param startNs from spawning the new process until the probe's GET answered with its value
     * @param startBusyNs the machine's busy CPU time during {@code startNs} ({@link MachineCpu}), -1 if unknown
     * @param startServerCpuNs the new server's CPU time during {@code startNs}
     * @param startHarnessCpuNs this process's CPU time during {@code startNs}
     */
    record Restart(
            BenchServer server,
            long stopNs,
            long startNs,
            long startBusyNs,
            long startServerCpuNs,
            long startHarnessCpuNs) {
        /** From the signal to serving. */
        long totalNs() {
            return stopNs + startNs;
        }

        /** The share of the machine's CPUs other processes took while the server started, 0..1, or -1. */
        double startOtherCpuShare() {
            if (startBusyNs < 0 || startServerCpuNs < 0) {
                return -1;
            }
            long other = Math.max(0, startBusyNs - startServerCpuNs - Math.max(0, startHarnessCpuNs));
            return MachineCpu.share(other, startNs);
        }
    }

    /** Stops {@code s} gracefully, starts it again on the same data, and waits until it serves {@code probe}. */
    static Restart restartGracefully(
            BenchServer s, BenchServer.Launch launch, Path logDir, Probe probe, long serveTimeoutMs)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ProcessHandle process = handle(s);
        if (s.spec().kind() == TargetSpec.Kind.REDIS) {
            try (RedisKv kv = RedisKv.connect(s.socket())) {
                kv.shutdown();
            }
        } else if (!process.destroy() && process.isAlive()) {
            throw new IOException("cannot send SIGTERM to " + s.label() + ", pid " + s.pid());
        }
        awaitExit(process, s.label());
        long stopNs = System.nanoTime() - t0;
        s.close();
        return start(s, launch, logDir, probe, serveTimeoutMs, stopNs);
    }

    /** Kills {@code s} with SIGKILL, starts it again on the same data, and waits until it serves {@code probe}. */
    static Restart restartAfterKill(
            BenchServer s, BenchServer.Launch launch, Path logDir, Probe probe, long serveTimeoutMs)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ProcessHandle process = handle(s);
        if (!process.destroyForcibly() && process.isAlive()) {
            throw new IOException("cannot send SIGKILL to " + s.label() + ", pid " + s.pid());
        }
        awaitExit(process, s.label());
        long stopNs = System.nanoTime() - t0;
        s.close();
        return start(s, launch, logDir, probe, serveTimeoutMs, stopNs);
    }

    private static Restart start(
            BenchServer old, BenchServer.Launch launch, Path logDir, Probe probe, long serveTimeoutMs, long stopNs)
            throws IOException, InterruptedException {
        Files.createDirectories(logDir);
        BenchServer.Launch again = new BenchServer.Launch(
                launch.fsync(),
                launch.workDir(),
                logDir,
                launch.javaCommand(),
                launch.classPath(),
                launch.daemonJvmOptions(),
                launch.daemonArgs(),
                launch.redisServer(),
                null,
                launch.load());
        long busy0 = MachineCpu.busyNs();
        long own0 = ownCpuNs();
        long t0 = System.nanoTime();
        BenchServer s = BenchServer.start(old.spec(), again);
        try {
            awaitServing(s, probe, serveTimeoutMs);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        long startNs = System.nanoTime() - t0;
        long busy1 = MachineCpu.busyNs();
        long own1 = ownCpuNs();
        long serverCpu = Footprint.cpuWithChildrenNs(s.pid());
        return new Restart(
                s,
                stopNs,
                startNs,
                busy0 < 0 || busy1 < 0 ? -1 : busy1 - busy0,
                serverCpu,
                own0 < 0 || own1 < 0 ? -1 : own1 - own0);
    }

    /**
     * GETs {@code probe}'s key on a fresh connection (through the socket) until the server answers
     * with its value; a refused connection, a loading Redis or a wrong answer is tried again after a
     * millisecond, up to {@code timeoutMs}.
     */
    static void awaitServing(BenchServer s, Probe probe, long timeoutMs) throws IOException, InterruptedException {
        TargetSpec.Kind kind = s.spec().kind().sharedMap()
                ? TargetSpec.Kind.SHAREDMAP
                : s.spec().kind();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String last = "no answer";
        while (System.nanoTime() - deadline < 0) {
            if (!s.alive()) {
                throw new IOException(s.label() + " exited while starting; see its log");
            }
            try (KvClient kv = KvClient.connect(kind, s.socket())) {
                byte[] got = kv.get(probe.key());
                if (Arrays.equals(got, probe.value())) {
                    return;
                }
                last = got == null ? "the key is missing" : "a wrong value";
            } catch (IOException | RuntimeException e) {
                last = String.valueOf(e.getMessage());
            }
            Thread.sleep(1); // polling a process that is starting: nothing to wait on but its answer
        }
        throw new IOException(s.label() + " did not answer a GET of a known key with its value within " + timeoutMs
                + " ms (last: " + last + ")");
    }

    private static ProcessHandle handle(BenchServer s) throws IOException {
        if (!s.spec().managed()) {
            throw new IOException(s.label() + " was not started by the harness; it cannot stop or kill it");
        }
        Optional<ProcessHandle> h = ProcessHandle.of(s.pid());
        if (h.isEmpty()) {
            throw new IOException(s.label() + ", pid " + s.pid() + ", is not running");
        }
        return h.get();
    }

    private static void awaitExit(ProcessHandle p, String label) throws IOException, InterruptedException {
        try {
            p.onExit().get(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException(label + ", pid " + p.pid() + ", did not exit within " + EXIT_TIMEOUT_MS + " ms", e);
        } catch (ExecutionException e) {
            throw new IOException("waiting for " + label + " to exit failed: " + e.getCause(), e);
        }
    }

    /** This process's CPU time, all threads, in nanoseconds; -1 if unknown. */
    static long ownCpuNs() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
