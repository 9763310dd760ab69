package io.sharedmap.tests.tools;

import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.HelloCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.tests.HonestClient;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.StandaloneLauncher;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Socket fuzzing: several connections send the daemon random and mutated frames (valid frames,
 * bit flips, truncations, length lies, random bytes, bad hellos, all interleaved) while honest
 * clients work. Fuzz frames only name keys under {@code fuzz/}; a bit flip of such a key never
 * reaches another prefix. Each connection sends a random number of frames, reads whatever replies
 * arrive without ever blocking, and is dropped (and a new one opened) when the daemon closes it or
 * stops taking bytes for 50 ms.
 *
 * <p>Long run: {@code java -cp <test class path> io.sharedmap.tests.tools.SocketFuzzer --frames
 * 1000000} (docs/RELIABILITY.md): starts a daemon, two honest clients and 200 stable keys, fuzzes,
 * then checks that the daemon is up, the honest clients saw no error and the stable keys are intact.
 */
public final class SocketFuzzer {
    /** Totals of a fuzz run. */
    public record Stats(long frames, long bytes, long connections, long closedByDaemon, long replyBytes) {
        @Override
        public String toString() {
            return String.format(
                    "%,d frames (%,d bytes) over %,d connections; the daemon closed %,d of them, replied %,d bytes",
                    frames, bytes, connections, closedByDaemon, replyBytes);
        }
    }

    private final Path socket;
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong closedByDaemon = new AtomicLong();
    private final AtomicLong replyBytes = new AtomicLong();

    private SocketFuzzer(Path socket) {
        this.socket = socket;
    }

    /** Sends {@code totalFrames} fuzz frames from {@code threads} threads (one connection at a time each). */
    public static Stats run(Path socket, long totalFrames, int threads, long seed) throws InterruptedException {
        SocketFuzzer f = new SocketFuzzer(socket);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long share = totalFrames / threads + (t < totalFrames % threads ? 1 : 0);
            Random random = new Random(seed * 31 + t);
            ts.add(Thread.ofPlatform().name("fuzz-" + t).start(() -> f.fuzz(random, share)));
        }
        for (Thread t : ts) {
            t.join();
        }
        return new Stats(
                f.frames.get(), f.bytes.get(), f.connections.get(), f.closedByDaemon.get(), f.replyBytes.get());
    }

    private void fuzz(Random random, long share) {
        long sent = 0;
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        while (sent < share) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.configureBlocking(false);
                connections.incrementAndGet();
                long perConnection = 1 + random.nextInt(random.nextInt(10) == 0 ? 2000 : 100);
                boolean open = send(ch, hello(random), sink);
                for (long i = 0; open && i < perConnection && sent < share; i++, sent++) {
                    open = send(ch, frame(random), sink);
                    frames.incrementAndGet();
                }
                if (!open) {
                    closedByDaemon.incrementAndGet();
                }
            } catch (IOException e) {
                // refused (too many connections, or the daemon closed it at once): try again
                LockSupport.parkNanos(1_000_000);
                sent++;
            }
        }
    }

    /** Writes {@code b}, draining replies; false when the daemon closed or stopped reading for 50 ms. */
    private boolean send(SocketChannel ch, byte[] b, ByteBuffer sink) {
        ByteBuffer src = ByteBuffer.wrap(b);
        long stalledSince = 0;
        try {
            while (src.hasRemaining()) {
                int n = ch.write(src);
                if (!drain(ch, sink)) {
                    return false;
                }
                if (n > 0) {
                    stalledSince = 0;
                } else if (stalledSince == 0) {
                    stalledSince = System.nanoTime();
                } else if (System.nanoTime() - stalledSince > 50_000_000) {
                    return false;
                } else {
                    LockSupport.parkNanos(200_000);
                }
            }
            bytes.addAndGet(b.length);
            return drain(ch, sink);
        } catch (IOException e) {
            return false; // reset or broken pipe: the daemon closed it
        }
    }

    private boolean drain(SocketChannel ch, ByteBuffer sink) throws IOException {
        while (true) {
            sink.clear();
            int n = ch.read(sink);
            if (n < 0) {
                return false;
            }
            if (n == 0) {
                return true;
            }
            replyBytes.addAndGet(n);
        }
    }

    private static byte[] hello(Random r) {
        int kind = r.nextInt(20);
        if (kind < 12) {
            ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.HELLO_LENGTH);
            HelloCodec.writeClientHello(b, FrameDescriptor.PROTOCOL_VERSION);
            return b.array();
        }
        if (kind < 17) {
            ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.SESSION_HELLO_LENGTH);
            HelloCodec.writeSessionHello(b, FrameDescriptor.PROTOCOL_VERSION, r.nextLong());
            return b.array();
        }
        byte[] b = new byte[r.nextInt(20)];
        r.nextBytes(b);
        return b; // a bad hello
    }

    private static byte[] valid(Random r) {
        Opcode op = Opcode.values()[r.nextInt(Opcode.values().length)];
        byte[] key = ("fuzz/" + r.nextInt(64)).getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[0];
        long arg = 0;
        switch (op) {
            case SET, CAS -> {
                value = new byte[r.nextInt(10) == 0 ? r.nextInt(70_000) : r.nextInt(200)];
                r.nextBytes(value);
                arg = op == Opcode.CAS ? r.nextInt(1000) : 0;
            }
            case SCAN -> {
                key = "fuzz/".getBytes(StandardCharsets.UTF_8);
                arg = r.nextInt(1200);
            }
            case PING -> {
                key = new byte[0];
                value = new byte[r.nextInt(100)];
            }
            case STATS -> key = new byte[0];
            default -> {}
        }
        if (op == Opcode.GET || op == Opcode.DELETE) {
            arg = r.nextInt(4) == 0 ? r.nextInt(1000) : 0;
        }
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, value.length));
        FrameEncoder.writeRequest(b, op, key, value, arg);
        return b.array();
    }

    /** A valid frame, or one mutated in one of several ways. */
    static byte[] frame(Random r) {
        byte[] f = valid(r);
        switch (r.nextInt(10)) {
            case 0, 1, 2, 3 -> {
                return f; // valid, interleaved with the rest
            }
            case 4, 5 -> { // bit flips anywhere, mostly in the header
                int flips = 1 + r.nextInt(3);
                for (int i = 0; i < flips; i++) {
                    int at = r.nextInt(3) > 0
                            ? r.nextInt(Math.min(f.length, FrameDescriptor.HEADER_LENGTH))
                            : r.nextInt(f.length);
                    f[at] ^= (byte) (1 << r.nextInt(8));
                }
                return f;
            }
            case 6 -> { // truncated
                return Arrays.copyOf(f, r.nextInt(f.length));
            }
            case 7 -> { // a length field lies
                ByteBuffer b = ByteBuffer.wrap(f);
                switch (r.nextInt(4)) {
                    case 0 -> b.putInt(FrameDescriptor.FRAME_LENGTH_OFFSET, r.nextInt());
                    case 1 -> b.putShort(FrameDescriptor.KEY_LENGTH_OFFSET, (short) r.nextInt());
                    case 2 -> b.putInt(FrameDescriptor.VALUE_LENGTH_OFFSET, r.nextInt(1 << 20));
                    default -> b.putInt(FrameDescriptor.FRAME_LENGTH_OFFSET, b.getInt(0) + r.nextInt(64) - 32);
                }
                return f;
            }
            case 8 -> { // random bytes
                byte[] g = new byte[r.nextInt(100)];
                r.nextBytes(g);
                return g;
            }
            default -> { // sequenced flag or unknown flags/opcode
                f[FrameDescriptor.FLAGS_OFFSET] = (byte) r.nextInt(256);
                if (r.nextBoolean()) {
                    f[FrameDescriptor.TYPE_OFFSET] = (byte) r.nextInt(256);
                }
                return f;
            }
        }
    }

    /** 200 stable keys written before the fuzzing, to check afterwards. */
    public static Map<String, Entry> writeStable(SharedMap map) {
        Map<String, Entry> stable = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            String k = "stable/k" + i;
            map.set(k, "stable value " + i);
            stable.put(k, map.get(k).orElseThrow());
        }
        return stable;
    }

    /** Problems with the stable keys: each must hold exactly its value and version. */
    public static List<String> checkStable(SharedMap map, Map<String, Entry> stable) {
        List<String> problems = new ArrayList<>();
        stable.forEach((k, e) -> {
            var now = map.get(k);
            if (now.isEmpty()
                    || now.get().version() != e.version()
                    || !now.get().valueAsString().equals(e.valueAsString())) {
                problems.add(k + " was " + e.valueAsString() + " v" + e.version() + ", now " + now);
            }
        });
        return problems;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new HashMap<>(
                Map.of("--frames", "1000000", "--connections", "4", "--seed", Long.toString(System.nanoTime())));
        for (int i = 0; i < argv.length; i++) {
            if (!a.containsKey(argv[i]) || i + 1 == argv.length) {
                System.err.println("usage: SocketFuzzer [--frames 1000000] [--connections 4] [--seed N]");
                System.exit(2);
            }
            a.put(argv[i], argv[++i]);
        }
        long seed = Long.parseLong(a.get("--seed"));
        boolean clean;
        try (StandaloneLauncher env = new StandaloneLauncher("socket-fuzzer")) {
            DaemonProcess daemon = env.startDaemon(env.daemonSpec()
                    .withServerArgs("--max-value-bytes", "1048576", "--stall-timeout-ms", "2000")
                    .withJvmArgs("-Xmx256m"));
            System.out.println("seed " + seed + ", logs in " + env.logDir());
            List<String> problems = new ArrayList<>();
            try (SharedMap map = SharedMap.connect(
                            daemon.socket(), Options.defaults().recovering(false));
                    HonestClient h1 = new HonestClient(daemon.socket(), "honest1");
                    HonestClient h2 = new HonestClient(daemon.socket(), "honest2")) {
                Map<String, Entry> stable = writeStable(map);
                long start = System.nanoTime();
                Stats s = run(
                        daemon.socket(),
                        Long.parseLong(a.get("--frames")),
                        Integer.parseInt(a.get("--connections")),
                        seed);
                long ms = (System.nanoTime() - start) / 1_000_000;
                System.out.println(s + " in " + ms / 1000.0 + " s");
                for (HonestClient h : List.of(h1, h2)) {
                    try {
                        h.stopAndCheck(1, Duration.ofSeconds(10));
                        System.out.println("honest client: " + h.ops() + " SET+GET, no error");
                    } catch (AssertionError e) {
                        problems.add(e.getMessage());
                    }
                }
                problems.addAll(checkStable(map, stable));
                if (!daemon.isAlive()) {
                    problems.add("the daemon died");
                }
                problems.addAll(daemon.unexpectedErrors(List.of()));
                System.out.println("daemon peak RSS " + daemon.peakRssKiB() / 1024 + " MiB, STATS connections_total "
                        + map.stats().get("connections_total") + ", errors_client "
                        + map.stats().get("errors_client"));
            }
            clean = problems.isEmpty();
            problems.forEach(p -> System.out.println("PROBLEM " + p));
            daemon.stop();
            if (!clean) {
                env.keep();
            }
        }
        System.out.println(clean ? "clean" : "FAILED");
        System.exit(clean ? 0 : 1);
    }
}
