package io.sharedmap.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one worker process does, passed on its command line as {@code name=value} arguments.
 *
 * @param kind the store
 * @param socket its Unix socket (or the chronicle map's file); null for a target named by a URL
 * @param url the target's URL ({@link TargetSpec.Kind#PORTABLE}, {@link TargetSpec.Kind#BARE}), else null
 * @param workload the workload
 * @param mix the operations
 * @param ops operations per process as given by {@code --ops} (RW does twice as many)
 * @param keys keyspace size for uniform, zipf and scale
 * @param keySize key bytes for scale (its keys are computed, {@link ScaleKeys}); 0 for the others
 * @param valueSize value bytes for uniform and zipf writes
 * @param zipfTheta Zipf exponent
 * @param seed this process's random seed
 * @param warmupOps most warm-up operations before READY
 * @param warmupMs most warm-up time before READY
 * @param warmupQuietMs the warm-up also ends once this process's JIT has been quiet for this long
 *     ({@link JitQuiet}); 0: it runs to its bounds
 * @param goTimeoutMs how long to wait for GO after READY before giving up
 * @param maxRunMs how long the timed loop may run before it stops early (and says so)
 * @param clientSpinUs the sharedmap client's spin time in microseconds, or -1 for its default
 * @param intervalNs paced load ({@code --rate}): one operation every this many nanoseconds; 0: each
 *     operation starts when the last ended (a closed loop)
 * @param timeFromDue paced load only: time each operation from when it was due (true) or from when it
 *     was sent (false, {@code --time-from sent})
 * @param clientPlain the sharedmap client without a session ({@code --client-plain}): its changes carry
 *     no sequence numbers
 */
record WorkerSpec(
        TargetSpec.Kind kind,
        @Nullable Path socket,
        @Nullable URI url,
        Workload workload,
        Mix mix,
        long ops,
        int keys,
        int keySize,
        int valueSize,
        double zipfTheta,
        long seed,
        long warmupOps,
        long warmupMs,
        long warmupQuietMs,
        long goTimeoutMs,
        long maxRunMs,
        long clientSpinUs,
        long intervalNs,
        boolean timeFromDue,
        boolean clientPlain) {

    List<String> toArgs() {
        List<String> a = new ArrayList<>();
        a.add("kind=" + kind.name());
        if (socket != null) {
            a.add("socket=" + socket);
        }
        if (url != null) {
            a.add("url=" + url);
        }
        a.add("workload=" + workload.name());
        a.add("mix=" + mix.name());
        a.add("ops=" + ops);
        a.add("keys=" + keys);
        a.add("keySize=" + keySize);
        a.add("valueSize=" + valueSize);
        a.add("zipfTheta=" + zipfTheta);
        a.add("seed=" + seed);
        a.add("warmupOps=" + warmupOps);
        a.add("warmupMs=" + warmupMs);
        a.add("warmupQuietMs=" + warmupQuietMs);
        a.add("goTimeoutMs=" + goTimeoutMs);
        a.add("maxRunMs=" + maxRunMs);
        a.add("clientSpinUs=" + clientSpinUs);
        a.add("intervalNs=" + intervalNs);
        a.add("timeFromDue=" + timeFromDue);
        a.add("clientPlain=" + clientPlain);
        return a;
    }

    static WorkerSpec parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("worker argument '" + arg + "' is not name=value");
            }
            m.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String socket = m.get("socket");
        String url = m.get("url");
        return new WorkerSpec(
                TargetSpec.Kind.valueOf(need(m, "kind")),
                socket == null ? null : Path.of(socket),
                url == null ? null : URI.create(url),
                Workload.valueOf(need(m, "workload")),
                Mix.valueOf(need(m, "mix")),
                Long.parseLong(need(m, "ops")),
                Integer.parseInt(need(m, "keys")),
                Integer.parseInt(need(m, "keySize")),
                Integer.parseInt(need(m, "valueSize")),
                Double.parseDouble(need(m, "zipfTheta")),
                Long.parseLong(need(m, "seed")),
                Long.parseLong(need(m, "warmupOps")),
                Long.parseLong(need(m, "warmupMs")),
                Long.parseLong(need(m, "warmupQuietMs")),
                Long.parseLong(need(m, "goTimeoutMs")),
                Long.parseLong(need(m, "maxRunMs")),
                Long.parseLong(need(m, "clientSpinUs")),
                Long.parseLong(need(m, "intervalNs")),
                Boolean.parseBoolean(need(m, "timeFromDue")),
                Boolean.parseBoolean(need(m, "clientPlain")));
    }

    /** The target this worker loads. */
    TargetSpec target() {
        return url != null ? new TargetSpec(kind, null, url) : new TargetSpec(kind, socket);
    }

    private static String need(Map<String, String> m, String name) {
        String v = m.get(name);
        if (v == null) {
            throw new IllegalArgumentException("worker argument " + name + "= is missing");
        }
        return v;
    }
}
