package io.sharedmap.tests.clients;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.Options;
import io.sharedmap.client.ServerFailureException;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.protocol.ErrorCode;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A writer process for the multi-process and crash tests. Each thread has a tag ({@code
 * <tag>.<thread>}) and writes sequence numbers 1, 2, 3... one at a time (synchronously), to key
 * {@code keys[seq % keys.size()]}, with value {@link Values#make(String, long, int)}. Its keys are
 * {@code <tag>.<thread>/k<i>} ({@code --own}) and {@code shared/k<j>} ({@code --shared}, common to
 * every writer). Every seq is attempted exactly once, and its outcome printed, flushed, as one
 * {@link WorkerReport} ({@link WriteLog} parses them):
 *
 * <pre>
 *   READY tag=                          connected
 *   A key= tag= seq= version=           acknowledged (the daemon replied CREATED/UPDATED)
 *   L key= tag= seq= reason=            unknown outcome (connection lost after sending)
 *   N key= tag= seq= reason=            not executed (the daemon said SHUTTING_DOWN)
 *   DONE tag= lastSeq= acks=            at the end, per thread
 * </pre>
 *
 * So the test knows exactly what was acknowledged before any kill -9. The client is recovering (the
 * default): a write whose connection breaks is resent, exactly once, when the daemon is back within
 * {@code --reconnect-window-ms}; {@code --plain} turns that off. After a failure the thread waits
 * (pinging) until a daemon serves again, then goes on with the next seq. It stops at EOF on stdin,
 * after {@code --max-writes} per thread, or after {@code --duration-ms}, and exits 0. {@code
 * --pause-us N} paces each thread: a pause of N µs after each acknowledged write (long crash loops,
 * whose logs would otherwise grow by the writers' full speed between kills).
 */
public final class WriterMain {
    private static final PrintStream OUT =
            new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private WriterMain() {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv, List.of("--no-reconnect", "--plain"));
        Path socket = Path.of(args.get("--socket"));
        String tag = args.get("--tag");
        int own = args.getInt("--own", 10);
        int shared = args.getInt("--shared", 0);
        int threads = args.getInt("--threads", 1);
        int valueBytes = args.getInt("--value-bytes", 64);
        long maxWrites = args.getLong("--max-writes", Long.MAX_VALUE);
        long durationMs = args.getLong("--duration-ms", 120_000);
        long reconnectMs = args.getLong("--reconnect-timeout-ms", 60_000);
        long pauseNs = args.getLong("--pause-us", 0) * 1_000;
        boolean reconnect = !args.flag("--no-reconnect");
        Options options = args.flag("--plain")
                ? Options.defaults().recovering(false)
                : Options.defaults()
                        .reconnectWindow(Duration.ofMillis(
                                args.getLong("--reconnect-window-ms", Options.DEFAULT_RECONNECT_WINDOW.toMillis())));

        AtomicBoolean stop = new AtomicBoolean();
        Thread.ofPlatform().daemon().name("stdin-watch").start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // any input is ignored; EOF means stop
                }
            } catch (IOException e) {
                // treat as EOF
            }
            stop.set(true);
        });
        long endNs = System.nanoTime() + durationMs * 1_000_000;

        SharedMap map = connect(socket, options, System.nanoTime() + reconnectMs * 1_000_000, stop);
        if (map == null) {
            System.err.println("no daemon on " + socket);
            System.exit(3);
        }
        OUT.println(WorkerReport.of("READY").with("tag", tag).line());

        List<Thread> workers = new ArrayList<>();
        boolean[] failed = new boolean[threads];
        for (int t = 0; t < threads; t++) {
            String threadTag = tag + "." + t;
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < own; i++) {
                keys.add(threadTag + "/k" + i);
            }
            for (int j = 0; j < shared; j++) {
                keys.add("shared/k" + j);
            }
            int index = t;
            workers.add(Thread.ofPlatform().name("writer-" + threadTag).start(() -> {
                failed[index] = !write(
                        map, threadTag, keys, valueBytes, maxWrites, endNs, reconnect, reconnectMs, pauseNs, stop);
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        map.close();
        for (boolean f : failed) {
            if (f) {
                System.exit(4);
            }
        }
        System.exit(0);
    }

    /** Returns false if the daemon stayed away longer than the reconnect timeout. */
    private static boolean write(
            SharedMap map,
            String tag,
            List<String> keys,
            int valueBytes,
            long maxWrites,
            long endNs,
            boolean reconnect,
            long reconnectMs,
            long pauseNs,
            AtomicBoolean stop) {
        long seq = 0;
        long acks = 0;
        boolean ok = true;
        while (!stop.get() && seq < maxWrites && System.nanoTime() - endNs < 0) {
            seq++;
            String key = keys.get((int) (seq % keys.size()));
            byte[] value = Values.make(tag, seq, valueBytes);
            try {
                SetResult r = map.set(key.getBytes(StandardCharsets.UTF_8), value);
                acks++;
                OUT.println(
                        write("A", key, tag, seq).with("version", r.version()).line());
                if (pauseNs > 0) {
                    LockSupport.parkNanos(pauseNs); // a rate limit, not a wait for anything
                }
                continue;
            } catch (ServerFailureException e) {
                if (e.errorCode().orElse(null) == ErrorCode.SHUTTING_DOWN) {
                    OUT.println(write("N", key, tag, seq)
                            .with("reason", e.errorCode().orElseThrow())
                            .line());
                } else {
                    OUT.println(write("L", key, tag, seq)
                            .with("reason", e.errorCode().map(Enum::name).orElse("server"))
                            .line());
                    System.err.println(tag + " seq " + seq + ": " + e);
                }
            } catch (DaemonUnavailableException e) {
                OUT.println(
                        write("L", key, tag, seq).with("reason", "unavailable").line());
            } catch (SharedMapException e) {
                OUT.println(write("L", key, tag, seq)
                        .with("reason", e.getClass().getSimpleName())
                        .line());
                System.err.println(tag + " seq " + seq + ": " + e);
            }
            if (!reconnect) {
                break;
            }
            if (!awaitDaemon(map, System.nanoTime() + reconnectMs * 1_000_000, stop)) {
                ok = stop.get();
                break;
            }
        }
        OUT.println(WorkerReport.of("DONE")
                .with("tag", tag)
                .with("lastSeq", seq)
                .with("acks", acks)
                .line());
        return ok;
    }

    /** The start of a report about one write: {@code KIND key= tag= seq=}. */
    private static WorkerReport write(String kind, String key, String tag, long seq) {
        return WorkerReport.of(kind).with("key", key).with("tag", tag).with("seq", seq);
    }

    private static SharedMap connect(Path socket, Options options, long deadlineNs, AtomicBoolean stop)
            throws InterruptedException {
        while (!stop.get()) {
            try {
                return SharedMap.connect(socket, options);
            } catch (SharedMapException e) {
                if (System.nanoTime() - deadlineNs > 0) {
                    return null;
                }
                Thread.sleep(20); // retry back-off while a daemon (re)starts; not test synchronisation
            }
        }
        return null;
    }

    private static boolean awaitDaemon(SharedMap map, long deadlineNs, AtomicBoolean stop) {
        while (!stop.get()) {
            try {
                map.ping();
                return true;
            } catch (SharedMapException e) {
                if (System.nanoTime() - deadlineNs > 0) {
                    System.err.println("daemon did not come back: " + e);
                    return false;
                }
                try {
                    Thread.sleep(20); // retry back-off while the daemon restarts
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }
}
