package io.sharedmap.bench.jmh;

import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.engine.Results;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine in memory, without sockets: GET and SET of uniformly random keys in a preloaded
 * keyspace, through {@link Engine} in {@code never} mode (the journal is written in the background,
 * so this measures the index, the stripe locks and the record queue). Run it with 1 and 2 threads
 * (this machine has 2 cores) to see readers that never block and writers on different stripes.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -q -pl sharedmap-bench -am package -DskipTests}):
 *
 * <pre>
 * bin/with-jdk java -cp "sharedmap-bench/target/classes:$(cat sharedmap-bench/target/jmh.classpath)" \
 *     org.openjdk.jmh.Main EngineIndexBenchmark -t 1
 * bin/with-jdk java -cp "sharedmap-bench/target/classes:$(cat sharedmap-bench/target/jmh.classpath)" \
 *     org.openjdk.jmh.Main EngineIndexBenchmark -t 2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EngineIndexBenchmark {

    @Param({"100000"})
    int keys;

    @Param({"100"})
    int valueSize;

    private Path dir;
    private Engine engine;
    private byte[][] keyBytes;
    private byte[] value;

    /** Each benchmark thread's own random stream. */
    @State(Scope.Thread)
    public static class ThreadRandom {
        final SplittableRandom random =
                new SplittableRandom(Thread.currentThread().threadId());
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = EngineFixture.tempDir();
        engine = EngineFixture.open(dir, Durability.NEVER);
        keyBytes = EngineFixture.keys(keys);
        value = EngineFixture.value(valueSize);
        for (byte[] k : keyBytes) {
            engine.set(k.clone(), value);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        EngineFixture.delete(dir);
    }

    @Benchmark
    public Results.Lookup get(ThreadRandom r) {
        return engine.get(keyBytes[r.random.nextInt(keys)]);
    }

    /** The engine takes ownership of key and value; the benchmark never changes them, so sharing is safe. */
    @Benchmark
    public Results.Write set(ThreadRandom r) throws JournalFailedException {
        return engine.set(keyBytes[r.random.nextInt(keys)], value);
    }
}
