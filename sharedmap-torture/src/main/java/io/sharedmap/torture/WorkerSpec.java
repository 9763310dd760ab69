package io.sharedmap.torture;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one torture worker process does, passed on its command line as {@code name=value} pairs.
 *
 * @param socket the daemon's socket; null when {@code url} names the map
 * @param url the map as a URL ({@code SharedMap.connect(URI)}, any backend, through the portable
 *     API), or null for the daemon on {@code socket}
 * @param runId this run's id: in every key (as the prefix) and every corruption value
 * @param process this worker's index, 0..P-1
 * @param threads threads in this worker
 * @param keys shared keys for the corruption check
 * @param counters shared counters for the lost-update check
 * @param linKeys keys whose history is recorded for the linearizability check
 * @param linOpsPerThread most history operations one thread records (spread over the run)
 * @param durationMs how long to run after GO
 * @param seed seed of this worker's choices
 * @param recovering whether the clients recover across daemon restarts
 * @param reconnectWindowMs the recovering clients' reconnect window
 * @param result where the worker writes its result file
 * @param directThreads which threads read directly from the daemon's mapped store ({@code D}: a
 *     client of their own with direct reads on) and which through the socket only ({@code S}: one
 *     shared client with direct reads off), one letter per thread
 */
public record WorkerSpec(
        @Nullable Path socket,
        @Nullable String url,
        int runId,
        int process,
        int threads,
        int keys,
        int counters,
        int linKeys,
        int linOpsPerThread,
        long durationMs,
        long seed,
        boolean recovering,
        long reconnectWindowMs,
        Path result,
        String directThreads) {

    public WorkerSpec {
        if ((socket == null) == (url == null)) {
            throw new IllegalArgumentException("a worker needs a socket or a URL, not both");
        }
        if (directThreads.length() != threads || !directThreads.matches("[DS]*")) {
            throw new IllegalArgumentException("directThreads '" + directThreads + "' is not one D or S per thread");
        }
    }

    /** Whether thread {@code t} reads directly. */
    public boolean direct(int t) {
        return directThreads.charAt(t) == 'D';
    }

    /** The key prefix of a run: {@code torture/<runId>/}. */
    public static String prefix(int runId) {
        return "torture/" + Integer.toUnsignedString(runId, 16) + "/";
    }

    /** Shared corruption-check key {@code i}. */
    public String valueKey(int i) {
        return prefix(runId) + "c/" + i;
    }

    /** Counter {@code i}. */
    public String counterKey(int i) {
        return prefix(runId) + "n/" + i;
    }

    /** History key {@code i}. */
    public String linKey(int i) {
        return prefix(runId) + "l/" + i;
    }

    List<String> toArgs() {
        return List.of(
                socket != null ? "socket=" + socket : "url=" + url,
                "run=" + runId,
                "process=" + process,
                "threads=" + threads,
                "keys=" + keys,
                "counters=" + counters,
                "linKeys=" + linKeys,
                "linOpsPerThread=" + linOpsPerThread,
                "durationMs=" + durationMs,
                "seed=" + seed,
                "recovering=" + recovering,
                "reconnectWindowMs=" + reconnectWindowMs,
                "result=" + result,
                "directThreads=" + directThreads);
    }

    static WorkerSpec parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("worker argument '" + a + "' is not name=value");
            }
            m.put(kv[0], kv[1]);
        }
        String socket = m.get("socket");
        return new WorkerSpec(
                socket == null ? null : Path.of(socket),
                socket == null ? get(m, "url") : null,
                Integer.parseInt(get(m, "run")),
                Integer.parseInt(get(m, "process")),
                Integer.parseInt(get(m, "threads")),
                Integer.parseInt(get(m, "keys")),
                Integer.parseInt(get(m, "counters")),
                Integer.parseInt(get(m, "linKeys")),
                Integer.parseInt(get(m, "linOpsPerThread")),
                Long.parseLong(get(m, "durationMs")),
                Long.parseLong(get(m, "seed")),
                Boolean.parseBoolean(get(m, "recovering")),
                Long.parseLong(get(m, "reconnectWindowMs")),
                Path.of(get(m, "result")),
                get(m, "directThreads"));
    }

    private static String get(Map<String, String> m, String name) {
        String v = m.get(name);
        if (v == null) {
            throw new IllegalArgumentException("worker argument " + name + "= missing");
        }
        return v;
    }
}
