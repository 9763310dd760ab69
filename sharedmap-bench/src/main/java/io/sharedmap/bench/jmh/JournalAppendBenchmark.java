package io.sharedmap.bench.jmh;

import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.engine.Results;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
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
 * An acknowledged SET as the daemon does it, without sockets: {@link Engine#set} then
 * {@link Engine#awaitDurable} of its version, per durability mode. In {@code always} mode each
 * acknowledgement waits for an fsync on the real disk under {@code java.io.tmpdir}; with more
 * threads, group commit shares one write and one fsync among the writers waiting together, so the
 * throughput should grow with {@code -t}.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -q -pl sharedmap-bench -am package -DskipTests}):
 *
 * <pre>
 * for t in 1 2 4 8; do
 *   bin/with-jdk java -cp "sharedmap-bench/target/classes:$(cat sharedmap-bench/target/jmh.classpath)" \
 *       org.openjdk.jmh.Main JournalAppendBenchmark -t $t
 * done
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class JournalAppendBenchmark {

    @Param({"always", "interval", "never"})
    String durability;

    @Param({"100"})
    int valueSize;

    /** Keys written: small enough that the index stays in cache, so the journal dominates. */
    static final int KEYS = 10_000;

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
        engine = EngineFixture.open(dir, Durability.valueOf(durability.toUpperCase(Locale.ROOT)));
        keyBytes = EngineFixture.keys(KEYS);
        value = EngineFixture.value(valueSize);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        EngineFixture.delete(dir);
    }

    @Benchmark
    public Results.Write acknowledgedSet(ThreadRandom r) throws JournalFailedException {
        Results.Write w = engine.set(keyBytes[r.random.nextInt(KEYS)], value);
        engine.awaitDurable(w.visibleVersion());
        return w;
    }
}
