package io.sharedmap.tests.clients;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.DeleteResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.KeyOwner;
import io.sharedmap.client.Limits;
import io.sharedmap.client.LimitsRow;
import io.sharedmap.client.Options;
import io.sharedmap.client.OwnerChange;
import io.sharedmap.client.PermissionDeniedException;
import io.sharedmap.client.Principal;
import io.sharedmap.client.QuotaExceededException;
import io.sharedmap.client.ScanPage;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.tests.support.RawConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * A client process that runs as some Unix user (started through {@code setpriv}) and executes
 * commands read from stdin, one per line, against the daemon on {@code --socket} with a plain
 * (non-recovering) client, so every refusal reaches the test as it is.
 *
 * <p>Prints {@code READY <uid> <gid> <groups>} (from /proc/self/status, so the test can check who it
 * really is) once connected (or {@code CONNECT_FAILED <uid> <gid> <groups> <exception>} and exits 3), then, for each command line {@code <id> <command> <args...>}, one reply
 * line {@code R<id> OK <result>}, {@code R<id> DENIED <message>} (PermissionDeniedException), {@code
 * R<id> QUOTA <message>} (QuotaExceededException) or {@code R<id> ERR <exception>: <message>}.
 * Keys and values are single tokens. Ends on EOF or {@code exit}.
 *
 * <p>Commands: {@code get K}, {@code set K V}, {@code del K}, {@code cas K VERSION V}, {@code
 * chmod K OCTAL}, {@code chmodp PREFIX OCTAL}, {@code chown K UID GID}, {@code keys PREFIX},
 * {@code keyso PREFIX}, {@code keyspaged PREFIX PAGE}, {@code limits PRINCIPAL}, {@code mylimits},
 * {@code setlimits PRINCIPAL KEYS BYTES CONNS}, {@code unsetlimits PRINCIPAL}, {@code seqset CLIENT_ID
 * SEQ K V} (a sequenced SET on a raw session connection: {@code <status> <version>}), {@code open} (one more
 * connection, held; {@code openr}: the same with a recovering client), {@code setr K V} (set through a
 * fresh recovering client), {@code closeopen} (closes the held connections), {@code reconnect} (a fresh client, after a
 * daemon restart), {@code race PREFIX COUNT THREADS VALUE_BYTES START_EPOCH_MS} (THREADS threads warm
 * up with pings, wait for the wall-clock start time shared by every racer process, then together try
 * to create COUNT distinct keys {@code PREFIX%04d}; answers {@code OK <created> <refused> <other>
 * <created keys, comma-separated>}).
 */
public final class ActorMain {
    private ActorMain() {}

    private static final int WARM_UP_PINGS = 200;
    private static SharedMap map;
    private static Path socket;
    private static final List<SharedMap> extra = new ArrayList<>();

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv, List.of());
        socket = Path.of(args.get("--socket"));
        try {
            map = connect();
        } catch (RuntimeException e) {
            System.out.println(
                    "CONNECT_FAILED " + identity() + " " + String.valueOf(e).replace('\n', ' '));
            System.out.flush();
            System.exit(3);
        }
        System.out.println("READY " + identity());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] t = line.strip().split(" ");
            if (t.length < 2 || t[1].equals("exit")) {
                break;
            }
            String reply;
            try {
                reply = "OK " + execute(t[1], Arrays.copyOfRange(t, 2, t.length));
            } catch (PermissionDeniedException e) {
                reply = "DENIED " + e.getMessage();
            } catch (QuotaExceededException e) {
                reply = "QUOTA " + e.getMessage();
            } catch (RuntimeException e) {
                reply = "ERR " + e;
            }
            System.out.println("R" + t[0] + " " + reply.replace('\n', ' '));
            System.out.flush();
        }
        extra.forEach(SharedMap::close);
        map.close();
        System.exit(0);
    }

    private static SharedMap connect() {
        return SharedMap.connect(socket, Options.defaults().recovering(false));
    }

    /** {@code <uid> <gid> <supplementary groups, comma-separated>} as the kernel sees this process. */
    private static String identity() throws IOException {
        String uid = "?";
        String gid = "?";
        String groups = "";
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            String[] f = l.split("\\s+");
            switch (f[0]) {
                case "Uid:" -> uid = f[1];
                case "Gid:" -> gid = f[1];
                case "Groups:" -> groups = String.join(",", Arrays.copyOfRange(f, 1, f.length));
                default -> {}
            }
        }
        return uid + " " + gid + " " + (groups.isEmpty() ? "-" : groups);
    }

    private static String execute(String op, String[] a) {
        return switch (op) {
            case "get" -> {
                Optional<Entry> e = map.get(a[0]);
                yield e.map(x -> "FOUND " + x.version() + " " + x.valueAsString())
                        .orElse("ABSENT");
            }
            case "reads" -> {
                SharedMap.ReadStats r = map.readStats();
                yield r.direct() + " " + r.socket() + " " + r.viewMapped();
            }
            case "set" -> {
                SetResult r = map.set(a[0], a[1]);
                yield (r.created() ? "CREATED " : "UPDATED ") + r.version();
            }
            case "del" -> {
                DeleteResult r = map.delete(a[0]);
                yield r.outcome() + " " + r.version();
            }
            case "cas" ->
                switch (map.compareAndSet(a[0], Long.parseLong(a[1]), a[2])) {
                    case CasResult.Applied x -> "APPLIED " + x.version();
                    case CasResult.Conflict c -> "CONFLICT " + c.currentVersion();
                };
            case "chmod" -> change(map.chmod(utf8(a[0]), Integer.parseInt(a[1], 8)));
            case "chmodp" -> change(map.chmodPrefix(utf8(a[0]), Integer.parseInt(a[1], 8)));
            case "chown" -> change(map.chown(utf8(a[0]), Long.parseLong(a[1]), Long.parseLong(a[2])));
            case "keys" ->
                join(map.keys(utf8(prefix(a))).map(KeyInfo::keyAsString).toList());
            case "keyso" ->
                join(map.keysWithOwners(utf8(prefix(a)))
                        .map(k -> {
                            KeyOwner o = k.owner();
                            return k.keyAsString() + ":" + o.uid() + ":" + o.gid() + ":"
                                    + Integer.toOctalString(o.mode());
                        })
                        .toList());
            case "keyspaged" -> {
                List<String> all = new ArrayList<>();
                byte[] cursor = new byte[0];
                int pages = 0;
                while (true) {
                    ScanPage p = map.scan(utf8(a[0]), cursor, Integer.parseInt(a[1]));
                    pages++;
                    p.entries().forEach(k -> all.add(k.keyAsString()));
                    if (p.done()) {
                        break;
                    }
                    cursor = p.nextCursor();
                }
                yield pages + " " + join(all);
            }
            case "limits" -> row(map.limits(Principal.parse(a[0])));
            case "mylimits" ->
                map.limits().stream().map(r -> r.principal().wire()).collect(Collectors.joining(","));
            case "setlimits" ->
                row(map.setLimits(
                        Principal.parse(a[0]),
                        new Limits(Long.parseLong(a[1]), Long.parseLong(a[2]), Long.parseLong(a[3]))));
            case "unsetlimits" -> row(map.unsetLimits(Principal.parse(a[0]), true, true, true));
            case "open" -> {
                extra.add(connect());
                yield Integer.toString(extra.size());
            }
            case "openr" -> {
                extra.add(SharedMap.connect(socket)); // a recovering client: a refusal must not be retried
                yield Integer.toString(extra.size());
            }
            case "seqset" -> { // CLIENT_ID SEQ K V: a sequenced SET on a raw session connection
                try (RawConnection raw = RawConnection.openWithSession(socket, Long.parseLong(a[0]))) {
                    var r = raw.call(RawConnection.sequenced(Opcode.SET, Long.parseLong(a[1]), a[2], a[3], 0));
                    yield r.status() + " " + r.version();
                }
            }
            case "setr" -> {
                try (SharedMap recovering = SharedMap.connect(socket)) {
                    SetResult r = recovering.set(a[0], a[1]);
                    yield (r.created() ? "CREATED " : "UPDATED ") + r.version();
                }
            }
            case "closeopen" -> {
                int n = extra.size();
                extra.forEach(SharedMap::close);
                extra.clear();
                yield Integer.toString(n);
            }
            case "reconnect" -> {
                map.close();
                map = connect();
                yield "reconnected";
            }
            case "race" ->
                race(
                        a[0],
                        Integer.parseInt(a[1]),
                        Integer.parseInt(a[2]),
                        Integer.parseInt(a[3]),
                        Long.parseLong(a[4]));
            default -> throw new IllegalArgumentException("unknown command " + op);
        };
    }

    private static String race(String prefix, int count, int threads, int valueBytes, long startAtEpochMs) {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        List<String> created = Collections.synchronizedList(new ArrayList<>());
        String value = "v".repeat(valueBytes);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    for (int w = 0; w < WARM_UP_PINGS; w++) {
                        map.ping(); // a connection per thread, and a warm client path, before the start
                    }
                    long wait;
                    while ((wait = startAtEpochMs - System.currentTimeMillis()) > 0) {
                        LockSupport.parkNanos(wait * 1_000_000L);
                    }
                    int i;
                    while ((i = next.getAndIncrement()) < count) {
                        String key = prefix + String.format("%04d", i);
                        try {
                            if (map.set(key, value).created()) {
                                created.add(key);
                            } else {
                                other.incrementAndGet();
                            }
                        } catch (QuotaExceededException e) {
                            refused.incrementAndGet();
                        } catch (RuntimeException e) {
                            System.err.println("race: " + key + ": " + e);
                            other.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        }
        return created.size() + " " + refused.get() + " " + other.get() + " " + join(created);
    }

    private static String prefix(String[] a) {
        return a.length == 0 ? "" : a[0];
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String join(List<String> keys) {
        return keys.isEmpty() ? "-" : String.join(",", keys);
    }

    private static String change(OwnerChange c) {
        return c.found() + " " + c.changed() + " " + c.skipped();
    }

    /** {@code <limit keys> <limit bytes> <limit conns> <used keys> <used bytes> <used conns>}. */
    private static String row(LimitsRow r) {
        Limits l = r.limits();
        Limits u = r.usage();
        return l.keys() + " " + l.bytes() + " " + l.connections() + " " + u.keys() + " " + u.bytes() + " "
                + u.connections();
    }
}
