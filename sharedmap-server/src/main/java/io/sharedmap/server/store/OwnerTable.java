package io.sharedmap.server.store;

import static io.sharedmap.server.store.StoreLayout.*;

import io.sharedmap.os.store.StoreDescriptor;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The owners of the store's entries: every distinct (uid, gid, mode) an entry has ever had, numbered
 * from 1 in order of first use, so that an entry carries a 28-bit number instead of 12 bytes. The
 * table only grows (a number never changes meaning while the store lives); {@value #MAX_OWNERS}
 * distinct owners at most.
 *
 * <p>File {@code private/owners} ({@link StoreLayout}): a 64-byte header whose count is stored
 * (release) after the record it counts, so a crash never leaves a counted record half written.
 *
 * <p>Concurrency: {@link #indexOf} (which may add) is called by the store's writer only; {@link
 * #owner} by anyone, lock-free, from a volatile array replaced when it grows.
 */
final class OwnerTable implements AutoCloseable {
    /** Most distinct (uid, gid, mode) triples a store can hold. */
    static final int MAX_OWNERS = 1 << 20;

    private static final int INITIAL_CAPACITY = 1 << 12;

    private final Path file;
    private final Arena arena;
    private MemorySegment segment; // writer only
    private volatile @Nullable Owner[] byIndex;
    private final Map<Owner, Integer> numbers = new HashMap<>(); // writer only
    private int count; // writer only: numbers 1..count are in use

    private OwnerTable(Path file, Arena arena, MemorySegment segment, @Nullable Owner[] byIndex, int count) {
        this.file = file;
        this.arena = arena;
        this.segment = segment;
        this.byIndex = byIndex;
        this.count = count;
        for (int i = 1; i <= count; i++) {
            numbers.putIfAbsent(byIndex[i], i);
        }
    }

    static OwnerTable create(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        MemorySegment s;
        try {
            s = StoreFiles.create(
                    file,
                    OWNERS_HEADER_LENGTH + (long) INITIAL_CAPACITY * OWNER_RECORD_LENGTH,
                    StoreFiles.Access.PRIVATE,
                    arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        s.set(LONG, 0, OWNERS_MAGIC);
        s.set(INT, 8, OWNERS_FORMAT_VERSION);
        s.set(INT, 12, OWNERS_HEADER_LENGTH);
        return new OwnerTable(file, arena, s, new Owner[INITIAL_CAPACITY + 1], 0);
    }

    /** @throws StoreCorruptException if the file is not an owner table or is inconsistent */
    static OwnerTable open(Path file) throws IOException {
        Arena probe = Arena.ofShared();
        MemorySegment s = StoreFiles.map(file, probe);
        String bad = StoreDescriptor.checkHeader(
                s, OWNERS_MAGIC, OWNERS_FORMAT_VERSION, OWNERS_HEADER_LENGTH, file.toString());
        long n = bad == null ? (long) WORD.getAcquire(s, (long) OWNERS_COUNT_OFFSET) : 0;
        if (bad == null && (n < 0 || n > MAX_OWNERS || OWNERS_HEADER_LENGTH + n * OWNER_RECORD_LENGTH > s.byteSize())) {
            bad = file + ": owner count " + n + " does not fit the file";
        }
        if (bad != null) {
            probe.close();
            throw new StoreCorruptException(bad);
        }
        int capacity = (int) ((s.byteSize() - OWNERS_HEADER_LENGTH) / OWNER_RECORD_LENGTH);
        @Nullable Owner[] owners = new Owner[capacity + 1];
        for (int i = 1; i <= n; i++) {
            long at = recordOffset(i);
            try {
                owners[i] = new Owner(s.get(INT, at), s.get(INT, at + 4), s.get(INT, at + 8));
            } catch (IllegalArgumentException e) {
                probe.close();
                throw new StoreCorruptException(file + ": owner " + i + ": " + e.getMessage());
            }
        }
        probe.close();
        Arena arena = Arena.ofShared();
        try {
            return new OwnerTable(file, arena, StoreFiles.map(file, arena), owners, (int) n);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static long recordOffset(int number) {
        return OWNERS_HEADER_LENGTH + (long) (number - 1) * OWNER_RECORD_LENGTH;
    }

    /** The owner numbered {@code number}; lock-free. */
    Owner owner(int number) {
        @Nullable Owner[] a = byIndex;
        Owner o = number > 0 && number < a.length ? a[number] : null;
        if (o == null) {
            throw new IllegalStateException("owner number " + number + " is not in the owner table");
        }
        return o;
    }

    /**
     * The number of {@code o}, adding it if new. Writer only.
     *
     * @throws StoreFullException if the table already holds {@value #MAX_OWNERS} owners
     */
    int indexOf(Owner o) throws IOException {
        Integer n = numbers.get(o);
        if (n != null) {
            return n;
        }
        if (count == MAX_OWNERS) {
            throw new StoreFullException("the store holds " + MAX_OWNERS
                    + " distinct (owner, group, mode) combinations," + " its limit; this change would add one more");
        }
        int next = count + 1;
        long at = recordOffset(next);
        if (at + OWNER_RECORD_LENGTH > segment.byteSize()) {
            grow();
        }
        segment.set(INT, at, o.uid());
        segment.set(INT, at + 4, o.gid());
        segment.set(INT, at + 8, o.mode());
        WORD.setRelease(segment, (long) OWNERS_COUNT_OFFSET, (long) next); // the record is whole before it counts
        @Nullable Owner[] a = byIndex;
        if (next >= a.length) {
            a = Arrays.copyOf(a, a.length * 2);
        } else {
            a = a.clone();
        }
        a[next] = o;
        byIndex = a;
        numbers.put(o, next);
        count = next;
        return next;
    }

    private void grow() throws IOException {
        long length = segment.byteSize() * 2 - OWNERS_HEADER_LENGTH;
        // Writer only, and nobody else reads the file: the old mapping can go at once.
        MemorySegment bigger = StoreFiles.extend(file, 0, length, arena);
        segment = bigger;
    }

    int size() {
        return count;
    }

    @Override
    public void close() {
        arena.close();
    }
}
