package io.sharedmap.bench.jmh;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A baseline for the engine's index: point lookups of uniformly random keys in a
 * {@link ConcurrentSkipListMap} (ordered, what scans need) and a {@link ConcurrentHashMap} (hashed),
 * both keyed by the same byte-string wrapper (unsigned lexicographic order, content hash). Shows
 * what a GET pays for order, beside {@link EngineIndexBenchmark}.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -q -pl sharedmap-bench -am package -DskipTests}):
 *
 * <pre>
 * bin/with-jdk java -cp "sharedmap-bench/target/classes:$(cat sharedmap-bench/target/jmh.classpath)" \
 *     org.openjdk.jmh.Main IndexStructureBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class IndexStructureBenchmark {

    /** A byte-string key: unsigned lexicographic order, hash of the contents. */
    record ByteKey(byte[] bytes) implements Comparable<ByteKey> {
        @Override
        public int compareTo(ByteKey o) {
            return Arrays.compareUnsigned(bytes, o.bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    @Param({"100000", "1000000"})
    int keys;

    @Param({"skiplist", "hash"})
    String structure;

    private ConcurrentMap<ByteKey, byte[]> map;
    private byte[][] keyBytes;

    /** Each benchmark thread's own random stream. */
    @State(Scope.Thread)
    public static class ThreadRandom {
        final SplittableRandom random =
                new SplittableRandom(Thread.currentThread().threadId());
    }

    @Setup
    public void setUp() {
        map = structure.equals("hash") ? new ConcurrentHashMap<>() : new ConcurrentSkipListMap<>();
        keyBytes = EngineFixture.keys(keys);
        byte[] value = EngineFixture.value(100);
        for (byte[] k : keyBytes) {
            map.put(new ByteKey(k.clone()), value);
        }
    }

    /** A GET as the daemon receives it: a fresh key array, wrapped, looked up. */
    @Benchmark
    public byte[] get(ThreadRandom r) {
        return map.get(new ByteKey(keyBytes[r.random.nextInt(keys)].clone()));
    }
}
