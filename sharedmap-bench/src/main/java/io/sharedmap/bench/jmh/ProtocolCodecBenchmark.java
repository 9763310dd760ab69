package io.sharedmap.bench.jmh;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.HelloCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.RequestFramer;
import io.sharedmap.protocol.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The wire codec's cost per frame, without I/O: what the client pays to encode a request, what the
 * daemon pays to frame requests out of the bytes it read ({@link RequestFramer}, whole batches and
 * the same bytes arriving 7 at a time), and to encode a reply. Keys are 14 bytes, values
 * {@code valueSize} bytes, all precomputed.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -q -pl sharedmap-bench -am package -DskipTests}):
 *
 * <pre>
 * bin/with-jdk java -cp "sharedmap-bench/target/classes:$(cat sharedmap-bench/target/jmh.classpath)" \
 *     org.openjdk.jmh.Main ProtocolCodecBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ProtocolCodecBenchmark {
    /** Frames per batch for the framing benchmarks. */
    static final int BATCH = 64;

    @Param({"0", "100", "4096"})
    int valueSize;

    private static final byte[] EMPTY = new byte[0];

    private byte[] key;
    private byte[] value;
    private ByteBuffer out;
    private ByteBuffer batch;
    private RequestFramer framer;

    @Setup
    public void setUp() {
        key = "key:0000012345".getBytes(StandardCharsets.US_ASCII);
        value = new byte[valueSize];
        Arrays.fill(value, (byte) 'v');
        out = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, valueSize));
        batch = ByteBuffer.allocate(BATCH * FrameEncoder.encodedLength(key.length, valueSize));
        for (int i = 0; i < BATCH; i++) {
            FrameEncoder.writeRequest(batch, Opcode.SET, key, value, 0);
        }
        batch.flip();
        framer = new RequestFramer(FrameDescriptor.DEFAULT_MAX_VALUE_LENGTH);
        ByteBuffer hello = ByteBuffer.allocate(FrameDescriptor.HELLO_LENGTH);
        HelloCodec.writeClientHello(hello, FrameDescriptor.PROTOCOL_VERSION);
        hello.flip();
        if (!(framer.poll(hello) instanceof RequestFramer.Hello)) {
            throw new IllegalStateException("the framer did not accept the hello");
        }
    }

    /** Client side: one SET request frame into a buffer. */
    @Benchmark
    public ByteBuffer encodeSetRequest() {
        out.clear();
        FrameEncoder.writeRequest(out, Opcode.SET, key, value, 0);
        return out;
    }

    /** Daemon side: one FOUND reply frame carrying the value. */
    @Benchmark
    public ByteBuffer encodeFoundResponse() {
        out.clear();
        FrameEncoder.writeResponse(out, Status.FOUND, 0, EMPTY, value, 42);
        return out;
    }

    /** Client side: reading a reply header. */
    @Benchmark
    public FrameHeader decodeHeader() {
        ByteBuffer b = batch.duplicate();
        return FrameHeader.read(b);
    }

    /** Daemon side: framing a pipelined batch of SET requests read in one go; per frame. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void frameBatch(Blackhole bh) {
        ByteBuffer b = batch.duplicate();
        for (RequestFramer.Event e; (e = framer.poll(b)) != null; ) {
            bh.consume(e);
        }
    }

    /** Daemon side: the same batch arriving in 7-byte pieces (every frame split across reads); per frame. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void frameBatchInSevenBytePieces(Blackhole bh) {
        ByteBuffer all = batch.duplicate();
        while (all.hasRemaining()) {
            ByteBuffer piece = all.slice(all.position(), Math.min(7, all.remaining()));
            all.position(all.position() + piece.remaining());
            for (RequestFramer.Event e; (e = framer.poll(piece)) != null; ) {
                bh.consume(e);
            }
        }
    }
}
