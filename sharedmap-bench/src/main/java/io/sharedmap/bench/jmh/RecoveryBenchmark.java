package io.sharedmap.bench.jmh;

import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.RecoveryReport;
import java.io.IOException;
import java.nio.file.Path;
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
 * Recovery time: opening a store of {@code entries} keys with 100-byte values, written once
 * (journal only, or after a snapshot), as the daemon does at start. Single-shot: each measurement
 * is one {@link Engine#open} and close of the same directory.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -q -pl sharedmap-bench -am package -DskipTests}):
 *
 * <pre>
 * bin/with-jdk java -cp "sharedmap-bench/target/classes:$(cat sharedmap-bench/target/jmh.classpath)" \
 *     org.openjdk.jmh.Main RecoveryBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class RecoveryBenchmark {

    @Param({"1000000"})
    int entries;

    /** {@code journal}: every entry replayed from the journal; {@code snapshot}: loaded from a snapshot. */
    @Param({"journal", "snapshot"})
    String from;

    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = EngineFixture.tempDir();
        byte[] value = EngineFixture.value(100);
        try (Engine engine = EngineFixture.open(dir, Durability.INTERVAL)) {
            byte[][] keys = EngineFixture.keys(entries);
            long last = 0;
            for (byte[] k : keys) {
                last = engine.set(k, value).visibleVersion();
            }
            engine.awaitDurable(last);
            if (from.equals("snapshot")) {
                engine.snapshot();
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        EngineFixture.delete(dir);
    }

    @Benchmark
    public RecoveryReport open() throws IOException {
        try (Engine engine = EngineFixture.open(dir, Durability.INTERVAL)) {
            return engine.recovery();
        }
    }
}
