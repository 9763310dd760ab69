package io.sharedmap.os.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SpinChannel} over a real Unix socket pair: the "peer" end is a plain blocking channel.
 * Every wait for another thread is bounded (a condition polled with a deadline, or a future's get
 * with a timeout), never a sleep.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpinChannelTest {
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);

    private Path dir;
    private ServerSocketChannel listener;
    private SocketChannel near;
    private SocketChannel peer;
    private ExecutorService threads;

    @BeforeEach
    void connect() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "spin");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s"));
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(address);
        near = SocketChannel.open(address);
        peer = listener.accept();
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void close() throws IOException {
        threads.shutdownNow();
        near.close();
        peer.close();
        listener.close();
        Files.deleteIfExists(dir.resolve("s"));
        Files.deleteIfExists(dir);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
        }
    }

    private void send(byte... bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            peer.write(b);
        }
    }

    @Test
    void read_dataAlreadyThere_returnsIt() throws IOException {
        send((byte) 1, (byte) 2, (byte) 3);
        try (SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false))) {
            ByteBuffer b = ByteBuffer.allocate(3);
            c.readFully(b);
            assertThat(b.array()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void read_dataArrivesWhileSpinning_noBlock() throws Exception {
        SpinLimiter limiter = new SpinLimiter(1, false);
        try (SpinChannel c = SpinChannel.open(near, TimeUnit.SECONDS.toNanos(30), limiter)) {
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readOne(c), threads);
            await("the reader spins", () -> limiter.spinning() == 1);
            send((byte) 7);
            assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo(7);
            await("the reader gave its permit back", () -> limiter.spinning() == 0);
        }
    }

    @Test
    void read_spinsThenBlocks_untilDataArrives() throws Exception {
        SpinLimiter limiter = new SpinLimiter(1, false);
        try (SpinChannel c = SpinChannel.open(near, TimeUnit.MILLISECONDS.toNanos(200), limiter)) {
            AtomicReference<Thread> reader = new AtomicReference<>();
            CompletableFuture<Integer> read = readLater(c, reader);
            await(
                    "the reader spins",
                    () -> limiter.spinning() == 1 || reader.get() != null && isInSelect(reader.get()));
            await(
                    "the reader blocks in read",
                    () -> reader.get() != null && limiter.spinning() == 0 && isInSelect(reader.get()));
            assertThat(limiter.spinning()).isZero();
            assertThat(read).isNotDone();
            send((byte) 9);
            assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo(9);
        }
    }

    @Test
    void read_limiterFull_blocksWithoutSpinning() throws Exception {
        SpinLimiter none = new SpinLimiter(0);
        try (SpinChannel c = SpinChannel.open(near, TimeUnit.SECONDS.toNanos(30), none)) {
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readOne(c), threads);
            send((byte) 5);
            assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo(5);
            assertThat(none.spinning()).isZero();
        }
    }

    /**
     * The point of waiting in a selector: a reader blocked in {@code read(2)} is woken (and goes back
     * to sleep, a context switch each way) whenever its peer reads what this side wrote, since that
     * wakes the socket's whole wait queue with "room to write". Each round the reader writes a
     * request and waits for the reply; once it waits, the peer takes the request and then waits (at
     * most 100 ms) for the reader's voluntary context switches to change, which a spurious wake-up
     * makes them do, before it replies. A blocking read changed them in every round.
     */
    @Test
    void waitingRead_isNotWokenWhenThePeerTakesWhatThisSideWrote() throws Exception {
        int rounds = 20;
        try (SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false))) {
            CompletableFuture<Void> reader = new CompletableFuture<>();
            Thread t = requestReplyThread(c, "spinwake-reader", rounds, reader);
            Path status = taskStatus("spinwake-reader");
            int woken = 0;
            for (int i = 0; i < rounds; i++) {
                await(
                        "the reader sleeps waiting for reply " + i,
                        () -> isInSelect(t) && sleeping(status) || reader.isDone());
                long before = voluntarySwitches(status);
                ByteBuffer request = ByteBuffer.allocate(1);
                while (request.hasRemaining()) {
                    peer.read(request);
                }
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                while (voluntarySwitches(status) == before && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                if (voluntarySwitches(status) != before) {
                    woken++;
                }
                send((byte) i);
            }
            reader.get(20, TimeUnit.SECONDS);
            assertThat(woken)
                    .as("rounds in which the waiting reader was woken before its reply came")
                    .isLessThanOrEqualTo(2);
        }
    }

    /**
     * A reader whose replies never come at once stops trying to read before it waits: one read(2)
     * per reply instead of two (one finding nothing, one after the wait). Counted with the reader
     * thread's {@code syscr} in {@code /proc} (every read(2), whatever it returned), between two
     * moments when the reader sleeps waiting for a reply: replies 10 to 18 take 9 reads (11 allowed
     * for spurious wake-ups), where trying first costs 18.
     */
    @Test
    void read_repliesNeverThereAtOnce_oneReadPerReply() throws Exception {
        int rounds = 20;
        try (SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false))) {
            CompletableFuture<Void> reader = new CompletableFuture<>();
            Thread t = requestReplyThread(c, "slowpeer-reader", rounds, reader);
            Path status = taskStatus("slowpeer-reader");
            Path io = status.resolveSibling("io");
            assumeTrue(Files.exists(io), "the kernel keeps no per-thread I/O counts (/proc/<tid>/io)");
            long readsAt10 = -1;
            long readsAt19 = -1;
            for (int i = 0; i < rounds; i++) {
                ByteBuffer request = ByteBuffer.allocate(1);
                while (request.hasRemaining()) {
                    peer.read(request);
                }
                await(
                        "the reader sleeps waiting for reply " + i,
                        () -> isWaiting(t) && sleeping(status) || reader.isDone());
                if (i == 10) {
                    readsAt10 = readSyscalls(io);
                } else if (i == 19) {
                    readsAt19 = readSyscalls(io);
                }
                send((byte) i);
            }
            reader.get(20, TimeUnit.SECONDS);
            assertThat(readsAt19 - readsAt10)
                    .as("read(2) calls of the reader for replies 10 to 18 (a spurious wake-up costs one more)")
                    .isBetween(9L, 11L);
        }
    }

    /**
     * Makes {@code c}'s reads find nothing at their first try more than {@value
     * SpinChannel#SKIP_FIRST_READ_AFTER} times in a row (each reply is sent only once the reader
     * waits), so that its next read waits before it tries.
     */
    private void makeRepliesLate(SpinChannel c) throws Exception {
        for (int i = 0; i <= SpinChannel.SKIP_FIRST_READ_AFTER; i++) {
            AtomicReference<Thread> reader = new AtomicReference<>();
            CompletableFuture<Integer> read = readLater(c, reader);
            await("the reader waits for reply " + i, () -> reader.get() != null && isWaiting(reader.get()));
            send((byte) i);
            assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo(i);
        }
    }

    /** Reading {@code c} on another thread; the future fails as the read does. */
    private CompletableFuture<Integer> readLater(SpinChannel c, AtomicReference<Thread> reader) {
        return CompletableFuture.supplyAsync(
                () -> {
                    reader.set(Thread.currentThread());
                    return readOne(c);
                },
                threads);
    }

    @Test
    void read_afterLateReplies_dataAlreadyThere_thenEndOfStream() throws Exception {
        try (SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false))) {
            makeRepliesLate(c);
            send((byte) 42);
            AtomicReference<Thread> reader = new AtomicReference<>();
            assertThat(readLater(c, reader).get(20, TimeUnit.SECONDS)).isEqualTo(42);
            CompletableFuture<Integer> end = readLater(c, reader);
            peer.close();
            assertThat(end.get(20, TimeUnit.SECONDS)).isEqualTo(-1);
        }
    }

    @Test
    void read_afterLateReplies_wokenByShutdownInput() throws Exception {
        shutdownInput_wakesABlockedRead(true);
    }

    @Test
    void read_afterLateReplies_wokenByCloseFromAnotherThread() throws Exception {
        close_wakesABlockedRead_andThePeerSeesTheEnd(true);
    }

    /** Whether {@code t} waits in the selector ({@code epoll_wait}), not in a read or a write. */
    private static boolean isWaiting(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        return stack.length > 0
                && stack[0].isNativeMethod()
                && stack[0].getMethodName().equals("wait");
    }

    /** The read(2) calls a thread has made ({@code syscr} of its {@code /proc/.../io}). */
    private static long readSyscalls(Path io) {
        return Long.parseLong(statusField(io, "syscr:"));
    }

    /**
     * Starts a thread named {@code name} that, {@code rounds} times, writes the byte {@code i} on
     * {@code c} and reads the reply, which must be {@code i}; {@code done} completes when it is through
     * (exceptionally if anything failed).
     */
    private static Thread requestReplyThread(SpinChannel c, String name, int rounds, CompletableFuture<Void> done) {
        return Thread.ofPlatform().name(name).start(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    c.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                    assertThat(readOne(c)).isEqualTo(i);
                }
                done.complete(null);
            } catch (IOException | RuntimeException | AssertionError e) {
                done.completeExceptionally(e);
            }
        });
    }

    /** The {@code /proc} status file of this process's thread named {@code name} (at most 15 characters). */
    private static Path taskStatus(String name) throws IOException {
        long deadline = System.nanoTime() + WAIT_NS;
        while (System.nanoTime() - deadline < 0) {
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        if (Files.readString(task.resolve("comm")).strip().equals(name)) {
                            return task.resolve("status");
                        }
                    } catch (IOException e) {
                        // the thread ended meanwhile
                    }
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no thread named " + name + " in /proc/self/task");
    }

    /** Whether the thread is asleep in the kernel ({@code State: S}). */
    private static boolean sleeping(Path status) {
        return statusField(status, "State:").startsWith("S");
    }

    private static long voluntarySwitches(Path status) {
        return Long.parseLong(statusField(status, "voluntary_ctxt_switches:"));
    }

    private static String statusField(Path status, String field) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(field)) {
                    return line.substring(field.length()).strip();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no " + field + " in " + status);
    }

    @Test
    void read_peerCloses_returnsEndOfStream() throws Exception {
        try (SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false))) {
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readOne(c), threads);
            peer.close();
            assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo(-1);
        }
    }

    @Test
    void close_fromAnotherThread_wakesABlockedRead_andThePeerSeesTheEnd() throws Exception {
        close_wakesABlockedRead_andThePeerSeesTheEnd(false);
    }

    /** With {@code repliesLate}, the read waits before it tries ({@link #makeRepliesLate}). */
    private void close_wakesABlockedRead_andThePeerSeesTheEnd(boolean repliesLate) throws Exception {
        SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false));
        if (repliesLate) {
            makeRepliesLate(c);
        }
        AtomicReference<Thread> reader = new AtomicReference<>();
        CompletableFuture<Integer> read = readLater(c, reader);
        await(
                "the reader waits in read",
                () -> reader.get() != null
                        && reader.get().getState() == Thread.State.RUNNABLE
                        && isInSelect(reader.get()));
        c.close();
        assertThatThrownBy(() -> read.get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .cause()
                .isInstanceOf(AsynchronousCloseException.class);
        assertThat(peer.read(ByteBuffer.allocate(1)))
                .as("the peer sees the end of the stream")
                .isEqualTo(-1);
    }

    @Test
    void close_idle_peerSeesTheEnd() throws IOException {
        SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false));
        c.close();
        assertThat(c.isOpen()).isFalse();
        assertThat(peer.read(ByteBuffer.allocate(1))).isEqualTo(-1);
    }

    @Test
    void shutdownInput_fromAnotherThread_wakesABlockedRead() throws Exception {
        shutdownInput_wakesABlockedRead(false);
    }

    /** With {@code repliesLate}, the read waits before it tries ({@link #makeRepliesLate}). */
    private void shutdownInput_wakesABlockedRead(boolean repliesLate) throws Exception {
        try (SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false))) {
            if (repliesLate) {
                makeRepliesLate(c);
            }
            AtomicReference<Thread> reader = new AtomicReference<>();
            CompletableFuture<Integer> read = readLater(c, reader);
            await("the reader waits in read", () -> reader.get() != null && isInSelect(reader.get()));
            c.channel().shutdownInput();
            assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo(-1);
        }
    }

    @Test
    void write_largeHeapBuffer_waitsForASlowReader_andArrivesWhole() throws Exception {
        byte[] value = pattern(40 << 20);
        ByteBuffer head = ByteBuffer.allocateDirect(16);
        for (int i = 0; i < 16; i++) {
            head.put((byte) (100 + i));
        }
        head.flip();
        try (SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false))) {
            CompletableFuture<byte[]> received =
                    CompletableFuture.supplyAsync(() -> receive(16 + value.length), threads);
            c.write(new ByteBuffer[] {head, ByteBuffer.wrap(value)});
            byte[] got = received.get(30, TimeUnit.SECONDS);
            for (int i = 0; i < 16; i++) {
                assertThat(got[i]).isEqualTo((byte) (100 + i));
            }
            assertThat(Arrays.equals(got, 16, got.length, value, 0, value.length))
                    .isTrue();
            ByteBuffer single = ByteBuffer.wrap(value);
            CompletableFuture<byte[]> again = CompletableFuture.supplyAsync(() -> receive(value.length), threads);
            c.write(single);
            assertThat(single.hasRemaining()).isFalse();
            assertThat(Arrays.equals(again.get(30, TimeUnit.SECONDS), value)).isTrue();
        }
    }

    @Test
    void close_fromAnotherThread_wakesAWriterBlockedOnAFullSocket() throws Exception {
        SpinChannel c = SpinChannel.open(near, 0, new SpinLimiter(1, false));
        ByteBuffer big = ByteBuffer.allocateDirect(16 << 20); // far more than the socket buffers hold
        AtomicReference<Thread> writer = new AtomicReference<>();
        CompletableFuture<Void> write = CompletableFuture.runAsync(
                () -> {
                    writer.set(Thread.currentThread());
                    try {
                        c.write(big);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                threads);
        await("the writer waits in write", () -> writer.get() != null && isInSelect(writer.get()));
        assertThat(write)
                .as("a blocking write of 16 MiB to a reader that reads nothing")
                .isNotDone();
        c.close();
        assertThatThrownBy(() -> write.get(20, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    }

    @Test
    void limiter_noSpinWhenNoSpareCpu_isDecidedByLoad() {
        SpinLimiter none = new SpinLimiter(0);
        assertThat(none.tryAcquire()).as("max 0 never spins").isFalse();
    }

    @Test
    void open_negativeSpin_isRefused() {
        assertThatThrownBy(() -> SpinChannel.open(near, -1, new SpinLimiter(1, false)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SpinLimiter(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void limiter_neverHandsOutMoreThanItsMax() {
        SpinLimiter l = new SpinLimiter(2, false);
        assertThat(l.tryAcquire()).isTrue();
        assertThat(l.tryAcquire()).isTrue();
        assertThat(l.tryAcquire()).isFalse();
        l.release();
        assertThat(l.tryAcquire()).isTrue();
        assertThat(l.spinning()).isEqualTo(2);
        assertThat(SpinLimiter.defaultMax()).isEqualTo(Runtime.getRuntime().availableProcessors() - 1);
    }

    /**
     * Whether {@code t} waits in the kernel: in the channel's {@code epoll_wait} (the JDK's {@code
     * EPoll.wait}), or in a socket read or write (a native frame of the JDK's dispatcher).
     */
    private static boolean isInSelect(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        return stack.length > 0
                && stack[0].isNativeMethod()
                && (stack[0].getMethodName().equals("wait")
                        || stack[0].getMethodName().startsWith("read")
                        || stack[0].getMethodName().startsWith("write"));
    }

    private static int readOne(SpinChannel c) {
        ByteBuffer b = ByteBuffer.allocate(1);
        try {
            int n = c.read(b);
            return n < 0 ? -1 : b.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code length} bytes on the peer, in small reads (a slow reader). */
    private byte[] receive(int length) {
        byte[] all = new byte[length];
        ByteBuffer small = ByteBuffer.allocate(8192);
        int have = 0;
        try {
            while (have < length) {
                small.clear().limit(Math.min(small.capacity(), length - have));
                int n = peer.read(small);
                if (n < 0) {
                    throw new IOException("end of stream after " + have);
                }
                small.flip();
                small.get(all, have, n);
                have += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    private static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + (i >>> 11));
        }
        return b;
    }
}
