package io.sharedmap.bench;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code chronicle} target's stand-in for a server: creates the persisted Chronicle Map file,
 * preloads it (the seed key and the uniform/zipf keyspace, with the values the other targets get;
 * or, with a key size, the scale workload's keys and values), prints {@link #READY} and holds the
 * map until it is stopped (SIGTERM). It serves nothing: the workers map the same file. Runs with
 * {@link ChronicleKv#JVM_OPTIONS}.
 *
 * <p>Arguments: {@code FILE KEYS VALUE_SIZE SEED KEY_SIZE}; {@code KEY_SIZE} 0 for the uniform
 * keys, else the scale workload's ({@link ScaleKeys}).
 */
public final class ChronicleHost {
    static final String READY = "chronicle map ready";

    private ChronicleHost() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int keys = Integer.parseInt(args[1]);
        int valueSize = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        int keySize = Integer.parseInt(args[4]);
        ChronicleKv kv = ChronicleKv.open(file, keys, keySize, valueSize);
        long t0 = System.nanoTime();
        kv.set(KeySpace.seedKey(), KeySpace.seedValue());
        if (keySize > 0) {
            ScaleKeys scale = new ScaleKeys(keySize, valueSize);
            for (int i = 0; i < keys; i++) {
                kv.set(scale.key(i), scale.value(i)); // put copies both into the map
            }
        } else {
            kv.preload(KeySpace.keys(keys), KeySpace.value(valueSize, seed));
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kv.close();
            stop.countDown();
        }));
        System.out.printf(
                "%s: chronicle-map %s, %,d keys of %d bytes preloaded in %.2f s%n",
                READY, ChronicleKv.version(), keys, valueSize, (System.nanoTime() - t0) / 1e9);
        System.out.flush();
        stop.await();
    }
}
