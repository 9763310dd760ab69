package io.sharedmap.client;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.Status;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Unix socket proxy between a client and a daemon that can lose a reply on purpose: armed with
 * {@link #dropAfter(int) dropAfter(n)}, it forwards the next {@code n} reply frames (HELLO replies
 * not counted), then, instead of forwarding the one after, closes both sides of that connection.
 * The daemon has executed the request; the client never sees its answer: the moment a daemon
 * killed after applying a change and before replying leaves behind, made deterministic.
 */
final class ReplyDroppingProxy implements AutoCloseable {
  private static final int DISARMED = -1;

  final Path socket;
  private final Path upstream;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private final AtomicInteger forwardBeforeDrop = new AtomicInteger(DISARMED);
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();

  ReplyDroppingProxy(Path socket, Path upstream) throws IOException {
    this.socket = socket;
    this.upstream = upstream;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = Thread.ofPlatform().daemon().name("proxy-accept").start(this::acceptLoop);
  }

  /** Forwards {@code n} more replies, then drops the connection instead of forwarding the next one. */
  void dropAfter(int n) {
    forwardBeforeDrop.set(n);
  }

  /** Connections dropped so far. */
  long dropped() {
    return dropped.get();
  }

  /** Client connections accepted so far. */
  long connections() {
    return connections.get();
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
      Thread.ofPlatform().daemon().name("proxy-up").start(() -> pumpRequests(client, daemon));
      Thread.ofPlatform().daemon().name("proxy-down").start(() -> pumpReplies(daemon, client));
    }
  }

  private void pumpRequests(SocketChannel from, SocketChannel to) {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try {
      while (from.read(buf) >= 0) {
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

  /** Forwards whole reply frames, one at a time, dropping the connection when armed. */
  private void pumpReplies(SocketChannel from, SocketChannel to) {
    ByteBuffer header = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
    try {
      while (true) {
        header.clear();
        if (!readFully(from, header)) {
          return;
        }
        int frameLength = header.getInt(0);
        int type = header.get(FrameDescriptor.TYPE_OFFSET) & 0xFF;
        ByteBuffer body = ByteBuffer.allocate(frameLength - FrameDescriptor.HEADER_LENGTH_AFTER_LENGTH_FIELD);
        if (!readFully(from, body)) {
          return;
        }
        if (type != Status.HELLO.code() && shouldDrop()) {
          dropped.incrementAndGet();
          return; // finally closes both sides: the client never sees this reply
        }
        header.flip();
        body.flip();
        while (header.hasRemaining()) {
          to.write(header);
        }
        while (body.hasRemaining()) {
          to.write(body);
        }
      }
    } catch (IOException e) {
      // one side closed
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private boolean shouldDrop() {
    while (true) {
      int n = forwardBeforeDrop.get();
      if (n == DISARMED) {
        return false;
      }
      if (forwardBeforeDrop.compareAndSet(n, n == 0 ? DISARMED : n - 1)) {
        return n == 0;
      }
    }
  }

  private static boolean readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf) < 0) {
        return false;
      }
    }
    return true;
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
