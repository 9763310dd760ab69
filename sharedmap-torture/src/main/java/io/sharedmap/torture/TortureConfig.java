package io.sharedmap.torture;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The parameters of one torture run (validated by the command).
 *
 * @param durationMs how long the workers run
 * @param processes worker processes
 * @param threads threads per worker
 * @param keys shared keys of the corruption check
 * @param counters counters of the lost-update check
 * @param linKeys keys of the linearizability check
 * @param linOps history operations per key (spread over the run)
 * @param linMaxSteps the checker's search bound per key
 * @param crash kill -9 the daemon at random moments and restart it
 * @param crashMeanMs mean time between kills (each uniform in 0.25..1.75 times it)
 * @param socket an already running daemon to test, or null to start one (or to use {@code url})
 * @param url the map to test through the portable API ({@code SharedMap.connect(URI)}, any
 *     backend), or null for a daemon ({@code socket} or the tool's own)
 * @param dir the started daemon's data directory, or null for a fresh temporary one
 * @param durability the started daemon's durability mode
 * @param cpus CPUs for the daemon and workers (taskset and -XX:ActiveProcessorCount), 0 = all
 * @param stallMs the watchdog's limit: no operation completing for this long fails the run
 * @param recovering whether the workers' clients recover across restarts
 * @param reconnectWindowMs the recovering clients' reconnect window
 * @param seed seed of every random choice (crash times, workers' mixes)
 * @param daemonJvmOptions extra JVM options of the started daemon (test hooks)
 * @param keep keep the data directory and results even after a clean run
 * @param directReaders the share of worker threads that read directly from the daemon's mapped
 *     store (the others read through the socket only); between 0 and 1 exclusive, at least one
 *     thread of each kind
 * @param directReads whether the started daemon offers direct reads ({@code --no-direct-reads}
 *     otherwise)
 * @param restartDaemonOptions further server options of the started daemon when it is restarted
 *     (test hook: a restart with other settings on the same directory)
 */
public record TortureConfig(
        long durationMs,
        int processes,
        int threads,
        int keys,
        int counters,
        int linKeys,
        int linOps,
        long linMaxSteps,
        boolean crash,
        long crashMeanMs,
        @Nullable Path socket,
        @Nullable URI url,
        @Nullable Path dir,
        String durability,
        int cpus,
        long stallMs,
        boolean recovering,
        long reconnectWindowMs,
        long seed,
        List<String> daemonJvmOptions,
        boolean keep,
        double directReaders,
        boolean directReads,
        List<String> restartDaemonOptions) {}
