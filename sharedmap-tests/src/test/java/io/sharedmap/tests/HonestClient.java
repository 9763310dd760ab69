package io.sharedmap.tests;

import io.sharedmap.client.Entry;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A well-behaved client working beside misbehaving ones: SET then GET on keys only it writes,
 * checking that each GET returns exactly what its SET stored, and timing every round trip.
 */
public final class HonestClient implements AutoCloseable {
    private final SharedMap map;
    private final String prefix;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<String> failures = new ArrayList<>(); // guarded by this
    private final Thread thread;
    private volatile long ops;
    private volatile long maxLatencyNs;

    public HonestClient(Path socket, String prefix) {
        this.map = SharedMap.connect(socket);
        this.prefix = prefix;
        this.thread = Thread.ofPlatform().name("honest-" + prefix).start(this::run);
    }

    private void run() {
        long i = 0;
        while (!stop.get()) {
            i++;
            String key = prefix + "/k" + (i % 50);
            String value = "v" + i;
            long start = System.nanoTime();
            try {
                SetResult set = map.set(key, value);
                Optional<Entry> got = map.get(key);
                if (got.isEmpty()
                        || !got.get().valueAsString().equals(value)
                        || got.get().version() != set.version()) {
                    fail("GET " + key + " after SET " + value + " (version " + set.version() + ") returned " + got);
                }
            } catch (RuntimeException e) {
                fail("op " + i + " on " + key + " failed: " + e);
            }
            maxLatencyNs = Math.max(maxLatencyNs, System.nanoTime() - start);
            ops = i;
        }
    }

    private synchronized void fail(String message) {
        if (failures.size() < 20) {
            failures.add(message);
        }
    }

    public long ops() {
        return ops;
    }

    /** Stops the loop and fails unless every op succeeded, at least {@code minOps} ran, none stalled. */
    public void stopAndCheck(long minOps, Duration maxLatency) throws InterruptedException {
        stop.set(true);
        if (!thread.join(Duration.ofSeconds(30))) {
            throw new AssertionError("honest client stuck in a request for 30 s; " + ops + " ops done");
        }
        synchronized (this) {
            if (!failures.isEmpty()) {
                throw new AssertionError("honest client saw failures:\n  " + String.join("\n  ", failures));
            }
        }
        if (ops < minOps) {
            throw new AssertionError("honest client did only " + ops + " ops, expected at least " + minOps);
        }
        if (maxLatencyNs > maxLatency.toNanos()) {
            throw new AssertionError("an honest SET+GET took " + maxLatencyNs / 1_000_000 + " ms");
        }
    }

    @Override
    public void close() {
        stop.set(true);
        map.close();
    }
}
