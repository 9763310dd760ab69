package io.sharedmap.client;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Unix socket proxy in front of a real daemon that can stop forwarding, in both directions, as a
 * daemon stopped with {@code SIGSTOP} would: after {@link #stall()} it still accepts connections
 * and takes the bytes clients write (as the kernel does for a stopped process), but nothing reaches
 * the daemon and no reply reaches a client until {@link #resume()}; then the held bytes go on, and
 * a client that hung up meanwhile is seen to have done so after them. Within a test it stands in for
 * {@code kill -STOP} on an in-process daemon; sharedmap-tests stops real daemon processes.
 */
final class StallingProxy implements AutoCloseable {
  final Path socket;
  private final Path upstream;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private final AtomicLong connections = new AtomicLong();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition resumed = lock.newCondition();
  private boolean stalled; // guarded by lock

  StallingProxy(Path socket, Path upstream) throws IOException {
    this.socket = socket;
    this.upstream = upstream;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = Thread.ofPlatform().daemon().name("stalling-proxy-accept").start(this::acceptLoop);
  }

  /** Stops forwarding until {@link #resume()}. */
  void stall() {
    lock.lock();
    try {
      stalled = true;
    } finally {
      lock.unlock();
    }
  }

  /** Forwards again, held bytes first. */
  void resume() {
    lock.lock();
    try {
      stalled = false;
      resumed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Client connections accepted so far. */
  long connections() {
    return connections.get();
  }

  private void awaitForwarding() {
    lock.lock();
    try {
      while (stalled) {
        resumed.awaitUninterruptibly(); // close() resumes, so every pump ends
      }
    } finally {
      lock.unlock();
    }
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      connections.incrementAndGet();
      SocketChannel daemon;
      try {
        daemon = SocketChannel.open(UnixDomainSocketAddress.of(upstream));
      } catch (IOException e) {
        closeQuietly(client);
        continue;
      }
      open.add(client);
      open.add(daemon);
      Thread.ofPlatform().daemon().name("stalling-proxy-up").start(() -> pump(client, daemon));
      Thread.ofPlatform().daemon().name("stalling-proxy-down").start(() -> pump(daemon, client));
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try {
      while (true) {
        awaitForwarding();
        int n = from.read(buf);
        awaitForwarding(); // bytes read just before a stall are held too
        if (n < 0) {
          return;
        }
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        buf.clear();
      }
    } catch (IOException e) {
      // one side closed
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // abandoning it
    }
  }

  @Override
  public void close() throws IOException {
    resume();
    server.close();
    for (SocketChannel ch : open) {
      closeQuietly(ch);
    }
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(socket);
  }
}
