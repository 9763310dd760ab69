package io.sharedmap.jcstress;

import io.sharedmap.protocol.view.ViewDescriptor;
import io.sharedmap.protocol.view.ViewReader;
import io.sharedmap.protocol.view.ViewWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A small view (16 slots of 64 bytes) in native memory, with its writer and a reader, for one
 * jcstress state object.
 *
 * <p>The memory comes from {@link Arena#ofAuto()}: like {@link Arena#ofShared()} its segments are
 * readable from any thread, and unlike it the memory is freed when the state object is collected.
 * jcstress makes millions of state objects per run, so a shared arena per state (never closed)
 * would leak, and closing one per state would cost a handshake with every thread.
 */
final class View {
    static final int SLOTS = 16;
    static final int SLOT_SIZE = 64;

    final MemorySegment segment;
    final ViewWriter writer;
    final ViewReader reader;

    View() {
        segment = Arena.ofAuto().allocate(ViewDescriptor.fileLength(SLOTS, SLOT_SIZE), 64);
        writer = ViewWriter.format(segment, SLOTS, SLOT_SIZE, 1);
        reader = ViewReader.of(segment);
    }

    static byte[] key(String k) {
        return k.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code length} bytes, each {@code b}. */
    static byte[] filled(int length, int b) {
        byte[] v = new byte[length];
        Arrays.fill(v, (byte) b);
        return v;
    }

    /**
     * The byte every byte of {@code value} holds, or -1 when they differ (or the value is empty): a
     * value mixing two writes' bytes reports -1.
     */
    static int uniformByte(byte[] value) {
        if (value.length == 0) {
            return -1;
        }
        byte b = value[0];
        for (byte x : value) {
            if (x != b) {
                return -1;
            }
        }
        return b;
    }

    /** The home slot of {@code key} in this geometry. */
    static int home(byte[] key) {
        return ViewDescriptor.hash(key) & (SLOTS - 1);
    }

    /** Whether slot {@code slot} holds {@code key} (read directly, for the tests' own set-up checks). */
    boolean slotHolds(int slot, byte[] key) {
        long payload = ViewDescriptor.HEADER_LENGTH + (long) slot * SLOT_SIZE + ViewDescriptor.SLOT_PAYLOAD_OFFSET;
        return MemorySegment.mismatch(segment, payload, payload + key.length, MemorySegment.ofArray(key), 0, key.length)
                < 0;
    }

    /**
     * Two keys of the same length whose {@linkplain ViewDescriptor#hash hashes} are equal: the
     * classic {@code "Aa"}/{@code "BB"} collision of {@link java.util.Arrays#hashCode(byte[])}, which
     * the hash's mixing preserves (it is a bijection of that hash code). They share a home slot, and
     * only their key bytes tell them apart.
     */
    static byte[][] collidingKeys() {
        byte[] a = key("Aa");
        byte[] b = key("BB");
        if (ViewDescriptor.hash(a) != ViewDescriptor.hash(b)) {
            throw new IllegalStateException("\"Aa\" and \"BB\" no longer share a hash: pick other colliding keys");
        }
        return new byte[][] {a, b};
    }

    /** Looks {@code key} up and reports version, {@link #uniformByte} and length; zeros for a miss. */
    void lookup(byte[] key, III_Result r) {
        ViewReader.Hit hit = reader.lookup(key);
        if (hit != null) {
            r.r1 = (int) hit.version();
            r.r2 = uniformByte(hit.value());
            r.r3 = hit.value().length;
        }
    }
}
