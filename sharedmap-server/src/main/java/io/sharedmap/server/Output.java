package io.sharedmap.server;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The encoded replies of one connection that the socket has not taken yet: pieces of byte arrays,
 * kept by reference (a large value is never copied whole), copied into the connection's direct
 * buffer as the socket takes them. Loop thread only.
 */
final class Output {
    private record Piece(byte[] bytes, int offset, int length) {}

    private final ArrayDeque<Piece> pieces = new ArrayDeque<>();
    private int headOffset; // bytes of the first piece already copied

    void add(byte[] b) {
        add(b, 0, b.length);
    }

    void add(byte[] b, int offset, int length) {
        if (length > 0) {
            pieces.add(new Piece(b, offset, length));
        }
    }

    boolean isEmpty() {
        return pieces.isEmpty();
    }

    /** Copies as much as fits into {@code dst} (in write mode), in order. */
    void fillInto(ByteBuffer dst) {
        while (dst.hasRemaining() && !pieces.isEmpty()) {
            Piece p = pieces.peekFirst();
            int n = Math.min(dst.remaining(), p.length() - headOffset);
            dst.put(p.bytes(), p.offset() + headOffset, n);
            headOffset += n;
            if (headOffset == p.length()) {
                pieces.removeFirst();
                headOffset = 0;
            }
        }
    }

    /** Drops everything (the connection is closing). */
    void clear() {
        pieces.clear();
        headOffset = 0;
    }
}
