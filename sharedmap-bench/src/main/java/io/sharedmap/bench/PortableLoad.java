package io.sharedmap.bench;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The uniform workload through the portable API ({@code SharedMap.connect(URI)}), on any backend:
 * what leaving one machine costs. Not part of {@code sharedmap bench} (whose targets are Unix
 * sockets); run with the class path {@code bin/sharedmap} uses, e.g.
 *
 * <pre>
 * r=$PWD; cp="$r/sharedmap-cli/target/sharedmap-cli.jar:$r/sharedmap-cli/target/lib/*:$r/sharedmap-bench/target/sharedmap-bench.jar:$r/sharedmap-bench/target/lib/*:$r/sharedmap-etcd/target/sharedmap-etcd.jar:$r/sharedmap-etcd/target/lib/*:$r/sharedmap-redis/target/sharedmap-redis.jar:$r/sharedmap-redis/target/lib/*"
 * java --sun-misc-unsafe-memory-access=allow -cp "$cp" io.sharedmap.bench.PortableLoad \
 *     --processes 1,10 --ops 2000 --keys 10000 unix:///run/.../socket etcd://127.0.0.1:2379
 * </pre>
 *
 * <p>For each URL: preloads {@code --keys} keys of {@code --value-bytes} bytes (one SET each, so
 * the preload itself is slow on a remote engine), then for each process count and each of GET and
 * SET starts that many JVMs; each connects, warms up ({@code ops / 2} operations), says READY, and
 * on GO (all released together) does {@code --ops} operations on uniformly random keys, recording
 * each one's latency. Prints one Markdown row per cell: operations per second (all processes'
 * operations over the longest process's time) and the merged p50 and p99. Every wait is bounded.
 */
public final class PortableLoad {
    private static final long READY_TIMEOUT_MS = 120_000;
    private static final long RUN_TIMEOUT_MS = 600_000;

    private PortableLoad() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("worker")) {
            worker(args);
            return;
        }
        List<Integer> processes = List.of(1, 10);
        int ops = 2000;
        int keys = 10_000;
        int valueBytes = 100;
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--processes" ->
                    processes = List.of(args[++i].split(",")).stream()
                            .map(Integer::parseInt)
                            .toList();
                case "--ops" -> ops = Integer.parseInt(args[++i]);
                case "--keys" -> keys = Integer.parseInt(args[++i]);
                case "--value-bytes" -> valueBytes = Integer.parseInt(args[++i]);
                default -> urls.add(args[i]);
            }
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException(
                    "usage: PortableLoad [--processes 1,10] [--ops N] [--keys N] [--value-bytes N] URL...");
        }
        PrintStream out = System.out;
        out.println("| backend | op | processes | ops/s | p50 µs | p99 µs |");
        out.println("|---|---|---:|---:|---:|---:|");
        for (String url : urls) {
            preload(url, keys, valueBytes);
            for (int p : processes) {
                for (String op : List.of("get", "set")) {
                    Cell c = cell(url, op, p, ops, keys, valueBytes);
                    out.printf(
                            "| %s | %s | %d | %,.0f | %.1f | %.1f |%n",
                            URI.create(url).getScheme(),
                            op.toUpperCase(Locale.ROOT),
                            p,
                            c.opsPerSecond,
                            c.p50Us,
                            c.p99Us);
                    out.flush();
                }
            }
        }
    }

    private record Cell(double opsPerSecond, double p50Us, double p99Us) {}

    private static void preload(String url, int keys, int valueBytes) {
        try (PortableMap map = SharedMap.connect(URI.create(url))) {
            byte[] value = new byte[valueBytes];
            for (int k = 0; k < keys; k++) {
                map.set(key(k), value);
            }
        }
    }

    private static byte[] key(int k) {
        return ("load/" + k).getBytes(StandardCharsets.US_ASCII);
    }

    private static Cell cell(String url, String op, int processes, int ops, int keys, int valueBytes)
            throws IOException, InterruptedException {
        List<Process> workers = new ArrayList<>();
        List<BufferedReader> outs = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try {
            for (int i = 0; i < processes; i++) {
                Process p = new ProcessBuilder(
                                java,
                                "--sun-misc-unsafe-memory-access=allow",
                                "-cp",
                                System.getProperty("java.class.path"),
                                PortableLoad.class.getName(),
                                "worker",
                                url,
                                op,
                                Integer.toString(ops),
                                Integer.toString(keys),
                                Integer.toString(valueBytes),
                                Long.toString(1000L * processes + i))
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
                workers.add(p);
                outs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)));
            }
            for (BufferedReader r : outs) {
                expect(r, "READY", READY_TIMEOUT_MS);
            }
            for (Process p : workers) {
                Writer w = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII);
                w.write("GO\n");
                w.flush();
            }
            Histogram all = BenchWorker.newHistogram();
            long total = 0;
            long longestNs = 0;
            for (BufferedReader r : outs) {
                String[] f = expect(r, "RESULT", RUN_TIMEOUT_MS).split(" ");
                total += Long.parseLong(f[1]);
                longestNs = Math.max(longestNs, Long.parseLong(f[2]));
                all.add(BenchWorker.decode(f[3]));
            }
            return new Cell(
                    total * 1e9 / longestNs,
                    all.getValueAtPercentile(50) / 1000.0,
                    all.getValueAtPercentile(99) / 1000.0);
        } finally {
            for (Process p : workers) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** The next line, which must start with {@code word}, within {@code timeoutMs}. */
    private static String expect(BufferedReader r, String word, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            while (!r.ready()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no " + word + " from a worker within " + timeoutMs + " ms");
                }
                Thread.onSpinWait();
                TimeUnit.MILLISECONDS.sleep(1); // a poll of a pipe that nothing signals
            }
            String line = r.readLine();
            if (line == null || !line.startsWith(word)) {
                throw new IllegalStateException("expected " + word + " from a worker, got " + line);
            }
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void worker(String[] args) throws IOException {
        String url = args[1];
        boolean get = args[2].equals("get");
        int ops = Integer.parseInt(args[3]);
        int keys = Integer.parseInt(args[4]);
        byte[] value = new byte[Integer.parseInt(args[5])];
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[6]));
        Histogram h = BenchWorker.newHistogram();
        try (PortableMap map = SharedMap.connect(URI.create(url))) {
            for (int i = 0; i < Math.max(1, ops / 2); i++) {
                byte[] k = key(random.nextInt(keys));
                if (get) {
                    map.get(k);
                } else {
                    map.set(k, value);
                }
            }
            System.out.println("READY");
            System.out.flush();
            String go = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)).readLine();
            if (!"GO".equals(go)) {
                throw new IllegalStateException("expected GO, got " + go);
            }
            long start = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                byte[] k = key(random.nextInt(keys));
                long t0 = System.nanoTime();
                if (get) {
                    map.get(k);
                } else {
                    map.set(k, value);
                }
                h.recordValue(Math.max(1, System.nanoTime() - t0));
            }
            long elapsed = System.nanoTime() - start;
            System.out.println("RESULT " + ops + " " + elapsed + " " + BenchWorker.encode(h));
            System.out.flush();
        }
    }
}
