package io.sharedmap.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one cell: one target, one workload and mix, P processes.
 *
 * @param target the server's label, e.g. {@code sharedmap(interval)}
 * @param kind the store
 * @param workload the workload
 * @param mix the operations
 * @param processes worker processes
 * @param opsPerProcess operations each process was asked for ({@code --ops}; RW does twice as many)
 * @param totalOps operations done, all processes
 * @param misses reads that found no value
 * @param truncated whether the time bound stopped any process early
 * @param error why the cell failed, or {@code null}
 * @param wallNs first start to last finish across the processes
 * @param secondsPerProcess each process's own elapsed time, as the report measured it
 * @param histogram per-operation latency in ns, merged over the processes (empty if failed)
 * @param daemonCpuNs the server's CPU time during the cell, -1 if unknown
 * @param clientCpuNs the worker processes' CPU time during their timed loops
 * @param otherCpuNs CPU time that processes other than the server and the workers took during the
 *     cell (machine busy time minus both), -1 if unknown
 * @param busyShare the share of the machine's CPU capacity that was busy during the cell, 0..1 (all
 *     processes, the kernel's interrupts and steal included), -1 if unknown
 * @param contextSwitches context switches of all the machine's CPUs during the cell's timed part
 *     (counted from GO to the last result, at that window's rate over the timed wall time), -1 if
 *     unknown
 * @param syscalls system calls the server made during the cell, by name (empty unless {@code --syscalls})
 * @param disk what the block device under the servers' data did during the cell, or {@code null} if
 *     not known (a server the run did not start, a failed cell, a data directory on no block device)
 * @param directReads GETs of the timed loops that the sharedmap client answered from the daemon's
 *     mapped store, all processes; -1 if not known (Redis, or a failed cell)
 * @param socketReads GETs of the timed loops that went through the socket; -1 if not known
 * @param warmupNs the longest warm-up of the cell's processes (each warms up until its JIT is quiet,
 *     or to its bounds; see {@link JitQuiet}); 0 if not known
 * @param warmupQuiet how many of the processes ended their warm-up because their JIT was quiet
 * @param repetition which run of this cell (0-based) when {@code --repeat} runs each cell more than once
 */
record CellResult(
        String target,
        TargetSpec.Kind kind,
        Workload workload,
        Mix mix,
        int processes,
        long opsPerProcess,
        long totalOps,
        long misses,
        boolean truncated,
        @Nullable String error,
        long wallNs,
        double[] secondsPerProcess,
        Histogram histogram,
        long daemonCpuNs,
        long clientCpuNs,
        long otherCpuNs,
        double busyShare,
        long contextSwitches,
        Map<String, Long> syscalls,
        @Nullable DiskIo disk,
        long directReads,
        long socketReads,
        long warmupNs,
        int warmupQuiet,
        int repetition) {

    CellResult withRepetition(int r) {
        return new CellResult(
                target,
                kind,
                workload,
                mix,
                processes,
                opsPerProcess,
                totalOps,
                misses,
                truncated,
                error,
                wallNs,
                secondsPerProcess,
                histogram,
                daemonCpuNs,
                clientCpuNs,
                otherCpuNs,
                busyShare,
                contextSwitches,
                syscalls,
                disk,
                directReads,
                socketReads,
                warmupNs,
                warmupQuiet,
                r);
    }

    /** {@link #contextSwitches} per operation of the cell, or -1 if not known. */
    double contextSwitchesPerOp() {
        return contextSwitches < 0 || totalOps == 0 ? -1 : (double) contextSwitches / totalOps;
    }

    /** {@link #disk} per operation of the cell: KiB written, or -1 if not known. */
    double diskKibPerOp() {
        return disk == null || totalOps == 0 ? -1 : disk.kib() / totalOps;
    }

    /** {@link #disk} per operation of the cell: write requests, or -1 if not known. */
    double diskWritesPerOp() {
        return disk == null || totalOps == 0 ? -1 : (double) disk.writes() / totalOps;
    }

    /** {@link #disk} per operation of the cell: cache flushes, or -1 if not known. */
    double diskFlushesPerOp() {
        return disk == null || totalOps == 0 || disk.flushes() < 0 ? -1 : (double) disk.flushes() / totalOps;
    }

    /** Whether the workers counted how their GETs were served (sharedmap and direct, with reads). */
    boolean hasReadCounts() {
        return directReads >= 0 && socketReads >= 0 && directReads + socketReads > 0;
    }

    /** The share of the timed GETs answered from the mapped store, 0..1, or -1 if not known or no GET ran. */
    double directShare() {
        return hasReadCounts() ? (double) directReads / (directReads + socketReads) : -1;
    }

    /**
     * {@link #directShare()} as a percentage for the tables, e.g. {@code 100%}, {@code 99.987%},
     * {@code 0%}; never rounded to 100% or 0% unless exactly so. Empty when not known.
     */
    String directPercent() {
        if (!hasReadCounts()) {
            return "";
        }
        if (socketReads == 0) {
            return "100%";
        }
        if (directReads == 0) {
            return "0%";
        }
        double pct = 100 * directShare();
        String s = String.format(Locale.ROOT, "%.1f%%", pct);
        return s.equals("100.0%") || s.equals("0.0%") ? String.format(Locale.ROOT, "%.3f%%", pct) : s;
    }

    /**
     * A latency in microseconds for the tables, with enough digits for sub-microsecond values:
     * {@code 0.35}, {@code 7.21}, {@code 46.5}, {@code 1,064}.
     */
    static String us(double v) {
        if (v == 0) {
            return "0";
        }
        if (v < 10) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (v < 1000) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    /** The cell this is a run of: target, workload, mix and processes. */
    String cellKey() {
        return target + "|" + workload + "|" + mix + "|" + processes;
    }

    /**
     * One result per cell: of its successful repetitions measured on a quiet machine (or of all
     * successful ones if none was quiet), the one with the median throughput (the lower median for
     * an even count); the first if none succeeded. In first-seen order.
     */
    static List<CellResult> medians(List<CellResult> all) {
        Map<String, List<CellResult>> byCell = new LinkedHashMap<>();
        for (CellResult r : all) {
            byCell.computeIfAbsent(r.cellKey(), k -> new ArrayList<>()).add(r);
        }
        List<CellResult> picked = new ArrayList<>();
        for (List<CellResult> runs : byCell.values()) {
            List<CellResult> ok = runs.stream()
                    .filter(CellResult::ok)
                    .filter(r -> !r.noisy())
                    .sorted(Comparator.comparingDouble(CellResult::opsPerSecond))
                    .toList();
            if (ok.isEmpty()) {
                ok = runs.stream()
                        .filter(CellResult::ok)
                        .sorted(Comparator.comparingDouble(CellResult::opsPerSecond))
                        .toList();
            }
            picked.add(ok.isEmpty() ? runs.get(0) : ok.get((ok.size() - 1) / 2));
        }
        return picked;
    }

    boolean ok() {
        return error == null;
    }

    /** Total operations per second, all processes together. */
    double opsPerSecond() {
        return wallNs > 0 ? totalOps * 1e9 / wallNs : 0;
    }

    /** Mean of the processes' own elapsed times, in seconds (the report's figure). */
    double meanSecondsPerProcess() {
        double sum = 0;
        for (double s : secondsPerProcess) {
            sum += s;
        }
        return secondsPerProcess.length == 0 ? 0 : sum / secondsPerProcess.length;
    }

    /** A latency percentile in microseconds. */
    double percentileUs(double p) {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(p) / 1000.0;
    }

    double maxUs() {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue() / 1000.0;
    }

    double meanUs() {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getMean() / 1000.0;
    }

    /**
     * The share of the machine's CPU capacity during the cell that went to other processes, 0..1,
     * or -1 if unknown.
     */
    double otherCpuShare() {
        return MachineCpu.share(otherCpuNs, wallNs);
    }

    /** The server's system calls per operation, e.g. {@code read=1.00 write=1.00 futex=0.12}; empty if not counted. */
    String syscallsPerOp() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Long> e : syscalls.entrySet()) {
            if (e.getValue() > 0 && totalOps > 0) {
                sb.append(sb.isEmpty() ? "" : " ")
                        .append(e.getKey())
                        .append('=')
                        .append(String.format(Locale.ROOT, "%.2f", (double) e.getValue() / totalOps));
            }
        }
        return sb.toString();
    }

    /** Whether other processes took a noticeable share (over 10%) of the CPUs during the cell. */
    boolean noisy() {
        return otherCpuShare() > NOISY_SHARE;
    }

    static final double NOISY_SHARE = 0.10;

    /** The server's CPU time per operation in microseconds, or -1 if unknown. */
    double daemonCpuUsPerOp() {
        return daemonCpuNs < 0 || totalOps == 0 ? -1 : daemonCpuNs / 1000.0 / totalOps;
    }
}
