package io.sharedmap.protocol.transport;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A connected socket whose reads wait for data by spinning briefly, then blocking: the transport
 * of both the daemon and the Java client.
 *
 * <h2>Why spin</h2>
 *
 * <p>A request/reply round trip over a local socket is a few microseconds of work, but a thread that
 * blocks in {@code read} puts its CPU to sleep, and waking it costs far more on a virtual machine
 * (tens of microseconds on a KVM guest that does not poll before halting). So a read first tries the
 * socket without blocking, {@link Thread#yield() yielding} between tries (so a runnable thread that
 * shares the CPU, maybe the peer that will answer, gets to run), for up to {@code spinNs}; only then
 * does it block, in a {@link Selector} of its own. With {@code spinNs == 0} it blocks at once. At
 * most {@link SpinLimiter#max()} threads spin at a time per limiter; the others block at once.
 *
 * <h2>Threads</h2>
 *
 * <p>One thread at a time reads and writes (the owner). {@link #close()} may be called from any
 * thread: it closes the socket and the selector, which wakes an owner blocked in {@code select};
 * the owner's read or write then throws an {@link AsynchronousCloseException} (or another {@link
 * IOException}). {@link SocketChannel#shutdownInput()} on {@link #channel()} from another thread
 * likewise wakes a blocked read, which returns -1.
 *
 * <h2>Writes</h2>
 *
 * <p>{@link #write} writes everything it is given, waiting for the socket to drain when its buffer is
 * full (writes never spin: a full buffer means a slow reader). A heap buffer is written in pieces of
 * at most {@value #HEAP_WRITE_CHUNK} bytes: the JDK copies a heap buffer into a native one on every
 * write, and a non-blocking write of a 256 MiB value would otherwise copy all that is left again
 * after each partial write.
 *
 * <p>Resources: the socket, one epoll instance and one event descriptor (three file descriptors).
 */
public final class SpinChannel implements Closeable {
  /** The default spin budget, in nanoseconds: about two local round trips. */
  public static final long DEFAULT_SPIN_NS = 50_000;

  /** Largest piece of a heap buffer handed to the kernel in one write. */
  static final int HEAP_WRITE_CHUNK = 256 * 1024;

  private static final Consumer<SelectionKey> IGNORE = k -> { };

  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  private final long spinNs;
  private final SpinLimiter limiter;

  private SpinChannel(SocketChannel channel, Selector selector, SelectionKey key, long spinNs, SpinLimiter limiter) {
    this.channel = channel;
    this.selector = selector;
    this.key = key;
    this.spinNs = spinNs;
    this.limiter = limiter;
  }

  /**
   * Makes {@code channel} (connected) non-blocking and wraps it. On failure the channel is left open
   * (maybe non-blocking) for the caller to close.
   *
   * @param spinNs how long a read spins before blocking, in nanoseconds; 0 blocks at once
   * @param limiter how many threads may spin at once, shared by the channels it is given to
   * @throws IOException when the selector cannot be opened (e.g. out of file descriptors)
   * @throws IllegalArgumentException when {@code spinNs} is negative
   */
  public static SpinChannel open(SocketChannel channel, long spinNs, SpinLimiter limiter) throws IOException {
    if (spinNs < 0) {
      throw new IllegalArgumentException("spin time " + spinNs + " ns is negative");
    }
    Selector selector = Selector.open();
    try {
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
      return new SpinChannel(channel, selector, key, spinNs, limiter);
    } catch (IOException | RuntimeException e) {
      selector.close();
      throw e;
    }
  }

  /** The underlying (non-blocking) channel: for socket options and {@code shutdownInput}. */
  public SocketChannel channel() {
    return channel;
  }

  /** The spin budget in nanoseconds. */
  public long spinNs() {
    return spinNs;
  }

  /**
   * Reads at least one byte into {@code dst}, waiting as long as it takes.
   *
   * @return the bytes read (more than 0), -1 at the end of the stream, 0 only when {@code dst} is full
   */
  public int read(ByteBuffer dst) throws IOException {
    return read(dst, -1);
  }

  /**
   * Reads at least one byte into {@code dst}, waiting at most {@code timeoutNs} (forever when
   * negative).
   *
   * @return the bytes read, -1 at the end of the stream, 0 when the time ran out or {@code dst} is full
   */
  public int read(ByteBuffer dst, long timeoutNs) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    int n = channel.read(dst);
    if (n != 0 || timeoutNs == 0) {
      return n;
    }
    long start = System.nanoTime();
    if (spinNs > 0 && limiter.tryAcquire()) {
      try {
        long spinFor = timeoutNs < 0 ? spinNs : Math.min(spinNs, timeoutNs);
        do {
          Thread.yield();
          n = channel.read(dst);
          if (n != 0) {
            return n;
          }
        } while (System.nanoTime() - start < spinFor);
      } finally {
        limiter.release();
      }
    }
    while (true) {
      long waitMs = 0; // forever
      if (timeoutNs > 0) {
        long left = timeoutNs - (System.nanoTime() - start);
        if (left <= 0) {
          return 0;
        }
        waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
      }
      await(SelectionKey.OP_READ, waitMs);
      n = channel.read(dst);
      if (n != 0) {
        return n;
      }
    }
  }

  /**
   * Reads exactly {@code dst.remaining()} bytes.
   *
   * @throws EOFException when the stream ends first
   */
  public void readFully(ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      if (read(dst) < 0) {
        throw new EOFException("the peer closed the connection");
      }
    }
  }

  /** Writes all of {@code src}. On failure, {@code src}'s position tells how much left. */
  public void write(ByteBuffer src) throws IOException {
    while (src.hasRemaining()) {
      int n;
      if (!src.isDirect() && src.remaining() > HEAP_WRITE_CHUNK) {
        n = channel.write(src.slice(src.position(), HEAP_WRITE_CHUNK));
        src.position(src.position() + n);
      } else {
        n = channel.write(src);
      }
      if (n == 0) {
        await(SelectionKey.OP_WRITE, 0);
      }
    }
  }

  /** Writes all of {@code srcs}, in order. On failure, their positions tell how much left. */
  public void write(ByteBuffer[] srcs) throws IOException {
    int first = 0;
    while (true) {
      while (first < srcs.length && !srcs[first].hasRemaining()) {
        first++;
      }
      if (first == srcs.length) {
        return;
      }
      int end = first;
      while (end < srcs.length && !isLargeHeap(srcs[end])) {
        end++;
      }
      long n;
      if (end == first) { // a large heap buffer comes first: one piece of it
        ByteBuffer b = srcs[first];
        n = channel.write(b.slice(b.position(), HEAP_WRITE_CHUNK));
        b.position(b.position() + (int) n);
      } else { // everything before the next large heap buffer, in one gather write
        n = channel.write(srcs, first, end - first);
      }
      if (n == 0) {
        await(SelectionKey.OP_WRITE, 0);
      }
    }
  }

  private static boolean isLargeHeap(ByteBuffer b) {
    return !b.isDirect() && b.remaining() > HEAP_WRITE_CHUNK;
  }

  /** Blocks until the socket is ready for {@code ops}, woken, or {@code timeoutMs} (0: no limit) passed. */
  private void await(int ops, long timeoutMs) throws IOException {
    try {
      if (key.interestOps() != ops) {
        key.interestOps(ops);
      }
      if (timeoutMs == 0) {
        selector.select(IGNORE);
      } else {
        selector.select(IGNORE, timeoutMs);
      }
    } catch (ClosedSelectorException | CancelledKeyException e) {
      throw closed();
    }
    if (!channel.isOpen()) {
      throw closed();
    }
  }

  private static AsynchronousCloseException closed() {
    return new AsynchronousCloseException();
  }

  /** Whether the socket is open. */
  public boolean isOpen() {
    return channel.isOpen();
  }

  /**
   * Closes the socket and the selector; wakes the owner if it is blocked. Idempotent, any thread.
   * Closing the selector matters: the JDK releases a registered socket's descriptor (and so the peer
   * sees the end of the stream) only once the selector lets go of it.
   */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      selector.close();
    }
  }

  @Override
  public String toString() {
    return "SpinChannel[" + channel + ", spin " + spinNs + " ns]";
  }
}
