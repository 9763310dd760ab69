package io.sharedmap.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
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
final class StallingProxy extends ForwardingProxy {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition resumed = lock.newCondition();
    private boolean stalled; // guarded by lock

    StallingProxy(Path socket, Path upstream) throws IOException {
        super(socket, upstream, "stalling-proxy");
        start();
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

    @Override
    void up(SocketChannel client, SocketChannel daemon) throws IOException {
        pump(client, daemon);
    }

    @Override
    void down(SocketChannel daemon, SocketChannel client) throws IOException {
        pump(daemon, client);
    }

    private void pump(SocketChannel from, SocketChannel to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        while (true) {
            awaitForwarding();
            int n = from.read(buf);
            awaitForwarding(); // bytes read just before a stall are held too
            if (n < 0) {
                return;
            }
            buf.flip();
            writeAll(to, buf);
            buf.clear();
        }
    }

    @Override
    void beforeClose() {
        resume();
    }
}
