package io.sharedmap.server.store;

import static io.sharedmap.server.store.StoreLayout.*;

import io.sharedmap.os.store.StoreDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The store's keys in ascending unsigned order, for SCAN, chmod/chown by prefix and snapshots: a
 * B+tree of 4 KiB pages in the file {@code private/tree} ({@link StoreLayout}). Leaves hold tree
 * references (side and entry reference) in key order; a key is read from its entry when compared,
 * so a key is stored once, in its entry. Inner pages hold separator keys of their own: the
 * shortest prefix of a right page's first key that is greater than its left neighbour's last key.
 *
 * <p>Crash safety: every change is made visible by one aligned 8-byte store, so a process killed at
 * any instruction leaves the tree as it was before or after the change. A page that changes is
 * copied first (copy-on-write), and the copy is linked in place of the original by one store in
 * its parent (or the root pointer); the exceptions are single stores themselves (appending to the
 * end of a leaf and then raising its count, lowering a count, replacing one reference). A split
 * writes the new pages before the parent that links them. Pages a crash leaves unlinked are found
 * free again by the walk at open. Sibling leaves are merged when one falls below a quarter full;
 * inner pages are only removed when empty, and a root with one child gives way to it.
 *
 * <p>Concurrency: one writer at a time (the store's write lock); readers (cursors) under the
 * store's read lock. The tree is not read without a lock.
 */
final class OrderedIndex implements AutoCloseable {
    /** How a tree reference's key is read and compared. */
    interface Keys {
        /** Negative, zero or positive as the key of {@code treeRef} is less than, equal to or greater than {@code key}. */
        int compare(long treeRef, byte[] key);

        byte[] key(long treeRef);
    }

    private static final int SEGMENT_PAGES = 64;
    private static final long SEGMENT_BYTES = (long) SEGMENT_PAGES * PAGE_SIZE;
    private static final int MAX_HEIGHT = 32;
    private static final int MERGE_BELOW = LEAF_CAPACITY / 4;
    private static final int MERGE_UP_TO = LEAF_CAPACITY * 3 / 4;

    private final Path file;
    private final Keys keys;
    private final Arena arena = Arena.ofShared();
    private final List<MemorySegment> segments = new ArrayList<>();
    private int[] free = new int[64];
    private int freeCount;
    private long pages;
    // scratch for the writer's descent
    private final int[] pathPage = new int[MAX_HEIGHT];
    private final int[] pathIndex = new int[MAX_HEIGHT];

    private final CrashPoints points;

    private OrderedIndex(Path file, Keys keys, CrashPoints points) {
        this.file = file;
        this.keys = keys;
        this.points = points;
    }

    static OrderedIndex create(Path file, Keys keys) throws IOException {
        return create(file, keys, CrashPoints.NONE);
    }

    static OrderedIndex create(Path file, Keys keys, CrashPoints points) throws IOException {
        OrderedIndex t = new OrderedIndex(file, keys, points);
        try {
            t.segments.add(StoreFiles.create(file, SEGMENT_BYTES, StoreFiles.Access.PRIVATE, t.arena));
            MemorySegment h = t.segments.getFirst();
            h.set(LONG, 0, TREE_MAGIC);
            h.set(INT, 8, TREE_FORMAT_VERSION);
            h.set(INT, 12, PAGE_SIZE);
            t.pages = 1;
            int root = t.allocate();
            t.setHeader(root, KIND_LEAF, 0);
            WORD.setRelease(h, (long) TREE_ROOT_OFFSET, (long) root);
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /**
     * Maps an existing tree and finds its free pages by walking it.
     *
     * @throws StoreCorruptException if it is not a tree of this format or its pages are inconsistent
     */
    static OrderedIndex open(Path file, Keys keys) throws IOException {
        return open(file, keys, CrashPoints.NONE);
    }

    static OrderedIndex open(Path file, Keys keys, CrashPoints points) throws IOException {
        OrderedIndex t = new OrderedIndex(file, keys, points);
        try {
            MemorySegment whole = StoreFiles.map(file, t.arena);
            String bad =
                    StoreDescriptor.checkHeader(whole, TREE_MAGIC, TREE_FORMAT_VERSION, PAGE_SIZE, file.toString());
            if (bad == null && whole.byteSize() % SEGMENT_BYTES != 0) {
                bad = file + ": length " + whole.byteSize() + " is not a whole number of " + SEGMENT_BYTES
                        + "-byte segments";
            }
            if (bad != null) {
                throw new StoreCorruptException(bad);
            }
            for (long at = 0; at < whole.byteSize(); at += SEGMENT_BYTES) {
                t.segments.add(whole.asSlice(at, SEGMENT_BYTES));
            }
            t.pages = whole.get(LONG, TREE_PAGES_OFFSET);
            if (t.pages < 2 || t.pages > (long) t.segments.size() * SEGMENT_PAGES) {
                throw new StoreCorruptException(file + ": page count " + t.pages + " does not fit the file");
            }
            BitSet used = new BitSet((int) t.pages);
            used.set(0);
            t.mark(t.root(), used, 0);
            for (int p = used.nextClearBit(1); p < t.pages; p = used.nextClearBit(p + 1)) {
                t.release(p);
            }
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private void mark(int page, BitSet used, int depth) throws StoreCorruptException {
        if (page <= 0 || page >= pages || used.get(page) || depth >= MAX_HEIGHT) {
            throw new StoreCorruptException(file + ": page " + page + " is out of range, linked twice or too deep");
        }
        used.set(page);
        int kind = kind(page);
        int n = count(page);
        if (kind == KIND_LEAF) {
            if (n > LEAF_CAPACITY) {
                throw new StoreCorruptException(file + ": leaf " + page + " counts " + n + " references");
            }
            return;
        }
        if (kind != KIND_INNER || n < 1 || 16 + 8L * n > PAGE_SIZE) {
            throw new StoreCorruptException(file + ": page " + page + " has kind " + kind + " and count " + n);
        }
        for (int i = 0; i < n; i++) {
            mark(child(page, i), used, depth + 1);
        }
    }

    // ---- pages ----

    private MemorySegment seg(int page) {
        return segments.get(page / SEGMENT_PAGES);
    }

    private static long at(int page) {
        return (long) (page % SEGMENT_PAGES) * PAGE_SIZE;
    }

    int root() {
        return (int) (long) WORD.getAcquire(segments.getFirst(), (long) TREE_ROOT_OFFSET);
    }

    private void setRoot(int page) {
        points.reached();
        WORD.setRelease(segments.getFirst(), (long) TREE_ROOT_OFFSET, (long) page);
    }

    private int kind(int page) {
        return (int) (seg(page).get(LONG, at(page)) & 0xFF);
    }

    private int count(int page) {
        return (int) ((seg(page).get(LONG, at(page)) >>> 16) & 0xFFFF);
    }

    private void setHeader(int page, int kind, int count) {
        WORD.setRelease(seg(page), at(page), (long) kind | (long) count << 16);
    }

    private long ref(int leaf, int i) {
        return seg(leaf).get(LONG, at(leaf) + PAGE_HEADER_LENGTH + 8L * i);
    }

    private void setRef(int leaf, int i, long treeRef) {
        WORD.setRelease(seg(leaf), at(leaf) + PAGE_HEADER_LENGTH + 8L * i, treeRef);
    }

    private long entry(int inner, int i) {
        return seg(inner).get(LONG, at(inner) + PAGE_HEADER_LENGTH + 8L * i);
    }

    private int child(int inner, int i) {
        return (int) entry(inner, i);
    }

    /** Compares separator i (i &gt; 0) of {@code inner} with {@code key}. */
    private int compareSeparator(int inner, int i, byte[] key) {
        long e = entry(inner, i);
        int off = (int) ((e >>> 32) & 0xFFFF);
        int len = (int) (e >>> 48);
        MemorySegment s = seg(inner);
        long start = at(inner) + off;
        long m = MemorySegment.mismatch(s, start, start + len, MemorySegment.ofArray(key), 0, key.length);
        if (m < 0) {
            return 0;
        }
        if (m == len) {
            return -1;
        }
        if (m == key.length) {
            return 1;
        }
        return Integer.compare(s.get(ValueLayout.JAVA_BYTE, start + m) & 0xFF, key[(int) m] & 0xFF);
    }

    private byte[] separator(int inner, int i) {
        long e = entry(inner, i);
        int off = (int) ((e >>> 32) & 0xFFFF);
        byte[] b = new byte[(int) (e >>> 48)];
        MemorySegment.copy(seg(inner), ValueLayout.JAVA_BYTE, at(inner) + off, b, 0, b.length);
        return b;
    }

    /** The child of {@code inner} whose range holds {@code key}: the last i with separator i &lt;= key, else 0. */
    private int childIndex(int inner, byte[] key) {
        int lo = 1;
        int hi = count(inner) - 1;
        int found = 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (compareSeparator(inner, mid, key) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** In {@code leaf}: the index of {@code key}, or {@code -(insertion point) - 1}. */
    private int search(int leaf, byte[] key) {
        int lo = 0;
        int hi = count(leaf) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = keys.compare(ref(leaf, mid), key);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    /** Writer: descends to the leaf for {@code key}, filling the path; returns the leaf's depth. */
    private int descend(byte[] key) {
        int page = root();
        int depth = 0;
        while (kind(page) == KIND_INNER) {
            int i = childIndex(page, key);
            pathPage[depth] = page;
            pathIndex[depth] = i;
            depth++;
            page = child(page, i);
        }
        pathPage[depth] = page;
        return depth;
    }

    private int allocate() throws IOException {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (pages == (long) segments.size() * SEGMENT_PAGES) {
            long length = (segments.size() + 1L) * SEGMENT_BYTES;
            segments.add(StoreFiles.extend(file, length - SEGMENT_BYTES, length, arena));
        }
        int p = (int) pages++;
        WORD.setRelease(segments.getFirst(), (long) TREE_PAGES_OFFSET, pages);
        return p;
    }

    /** A page no longer linked: reusable at once (readers hold the read lock while the writer holds the write lock). */
    private void release(int page) {
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = page;
    }

    /** Links {@code now} where {@code old} was: the parent's entry, or the root. One release store. */
    private void relink(int depth, int now) {
        points.reached();
        if (depth == 0) {
            setRoot(now);
            return;
        }
        int parent = pathPage[depth - 1];
        int i = pathIndex[depth - 1];
        long e = entry(parent, i);
        WORD.setRelease(seg(parent), at(parent) + PAGE_HEADER_LENGTH + 8L * i, (e & 0xFFFF_FFFF_0000_0000L) | now);
    }

    private int writeLeaf(long[] refs, int from, int to) throws IOException {
        int p = allocate();
        MemorySegment s = seg(p);
        long base = at(p) + PAGE_HEADER_LENGTH;
        for (int i = from; i < to; i++) {
            s.set(LONG, base + 8L * (i - from), refs[i]);
        }
        setHeader(p, KIND_LEAF, to - from);
        return p;
    }

    private long[] leafRefs(int leaf) {
        int n = count(leaf);
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = ref(leaf, i);
        }
        return r;
    }

    private record InnerEntries(List<Integer> children, List<byte[]> separators) {
        int bytes() {
            int b = PAGE_HEADER_LENGTH + 8 * children.size();
            for (int i = 1; i < separators.size(); i++) {
                b += separators.get(i).length;
            }
            return b;
        }
    }

    private InnerEntries innerEntries(int inner) {
        int n = count(inner);
        List<Integer> c = new ArrayList<>(n + 1);
        List<byte[]> s = new ArrayList<>(n + 1);
        for (int i = 0; i < n; i++) {
            c.add(child(inner, i));
            s.add(i == 0 ? new byte[0] : separator(inner, i));
        }
        return new InnerEntries(c, s);
    }

    private int writeInner(List<Integer> children, List<byte[]> separators) throws IOException {
        int p = allocate();
        MemorySegment s = seg(p);
        long base = at(p);
        int end = PAGE_SIZE;
        for (int i = 0; i < children.size(); i++) {
            int len = i == 0 ? 0 : separators.get(i).length;
            end -= len;
            if (len > 0) {
                MemorySegment.copy(separators.get(i), 0, s, ValueLayout.JAVA_BYTE, base + end, len);
            }
            long e = (children.get(i) & 0xFFFF_FFFFL) | (long) end << 32 | (long) len << 48;
            s.set(LONG, base + PAGE_HEADER_LENGTH + 8L * i, e);
        }
        if (end < PAGE_HEADER_LENGTH + 8 * children.size()) {
            throw new IllegalStateException("inner page overflow");
        }
        setHeader(p, KIND_INNER, children.size());
        return p;
    }

    // ---- writer operations ----

    /** The tree reference of {@code key}, or 0. Writer, or under the read lock. */
    long get(byte[] key) {
        int page = root();
        while (kind(page) == KIND_INNER) {
            page = child(page, childIndex(page, key));
        }
        int pos = search(page, key);
        return pos >= 0 ? ref(page, pos) : 0;
    }

    /** Writer: makes {@code treeRef} the reference of {@code key}, inserting the key if absent. */
    void upsert(byte[] key, long treeRef) throws IOException {
        int depth = descend(key);
        int leaf = pathPage[depth];
        int pos = search(leaf, key);
        if (pos >= 0) {
            setRef(leaf, pos, treeRef);
            return;
        }
        pos = -pos - 1;
        int n = count(leaf);
        if (n < LEAF_CAPACITY) {
            if (pos == n) {
                setRef(leaf, n, treeRef); // past the count: invisible until the count covers it
                points.reached();
                setHeader(leaf, KIND_LEAF, n + 1);
                return;
            }
            long[] refs = insert(leafRefs(leaf), pos, treeRef);
            int copy = writeLeaf(refs, 0, refs.length);
            relink(depth, copy);
            release(leaf);
            return;
        }
        long[] refs = insert(leafRefs(leaf), pos, treeRef);
        boolean rightmost = pos == n;
        for (int d = 0; d < depth && rightmost; d++) {
            rightmost = pathIndex[d] == count(pathPage[d]) - 1;
        }
        int split = rightmost ? n : refs.length / 2;
        int left = rightmost ? leaf : writeLeaf(refs, 0, split);
        int right = writeLeaf(refs, split, refs.length);
        byte[] separator = shortestSeparator(keys.key(refs[split - 1]), keys.key(refs[split]));
        insertIntoParent(depth, left, separator, right);
        if (left != leaf) {
            release(leaf);
        }
    }

    private static long[] insert(long[] a, int pos, long v) {
        long[] r = new long[a.length + 1];
        System.arraycopy(a, 0, r, 0, pos);
        r[pos] = v;
        System.arraycopy(a, pos, r, pos + 1, a.length - pos);
        return r;
    }

    /** The shortest prefix of {@code right} greater than {@code left} ({@code left < right}). */
    static byte[] shortestSeparator(byte[] left, byte[] right) {
        int c = Arrays.mismatch(left, right);
        if (c < 0 || c >= right.length) {
            throw new IllegalStateException("keys out of order in a split");
        }
        return Arrays.copyOf(right, c + 1);
    }

    /**
     * The page at {@code depth} was split into {@code left} and {@code right}, divided at {@code
     * separator}: links both where the page was, splitting parents as needed.
     */
    private void insertIntoParent(int depth, int left, byte[] separator, int right) throws IOException {
        if (depth == 0) {
            int root = writeInner(List.of(left, right), List.of(new byte[0], separator));
            setRoot(root);
            return;
        }
        int parent = pathPage[depth - 1];
        int i = pathIndex[depth - 1];
        InnerEntries e = innerEntries(parent);
        e.children.set(i, left);
        e.children.add(i + 1, right);
        e.separators.add(i + 1, separator);
        if (e.bytes() <= PAGE_SIZE) {
            int copy = writeInner(e.children, e.separators);
            relink(depth - 1, copy);
            release(parent);
            return;
        }
        int m = splitPoint(e);
        int p1 = writeInner(e.children.subList(0, m), e.separators.subList(0, m));
        List<byte[]> rightSeparators = new ArrayList<>(e.separators.subList(m, e.separators.size()));
        byte[] up = rightSeparators.getFirst();
        rightSeparators.set(0, new byte[0]);
        int p2 = writeInner(e.children.subList(m, e.children.size()), rightSeparators);
        insertIntoParent(depth - 1, p1, up, p2);
        release(parent);
    }

    /** Where to split an overfull inner page: the index that best balances the two halves' bytes. */
    private static int splitPoint(InnerEntries e) {
        int n = e.children.size();
        int total = e.bytes();
        int best = n / 2;
        int bestDiff = Integer.MAX_VALUE;
        int leftBytes = PAGE_HEADER_LENGTH;
        for (int m = 1; m < n; m++) {
            leftBytes += 8 + (m - 1 == 0 ? 0 : e.separators.get(m - 1).length);
            int rightBytes = total - leftBytes + PAGE_HEADER_LENGTH - e.separators.get(m).length;
            if (leftBytes <= PAGE_SIZE && rightBytes <= PAGE_SIZE) {
                int diff = Math.abs(leftBytes - rightBytes);
                if (diff < bestDiff) {
                    bestDiff = diff;
                    best = m;
                }
            }
        }
        return best;
    }

    /** Writer: removes {@code key}; returns whether it was there. */
    boolean remove(byte[] key) throws IOException {
        int depth = descend(key);
        int leaf = pathPage[depth];
        int pos = search(leaf, key);
        if (pos < 0) {
            return false;
        }
        int n = count(leaf);
        if (n == 1) {
            if (depth == 0) {
                setHeader(leaf, KIND_LEAF, 0);
            } else {
                removeChild(depth - 1);
                release(leaf);
            }
            return true;
        }
        int now = leaf;
        if (pos == n - 1) {
            setHeader(leaf, KIND_LEAF, n - 1);
        } else {
            long[] refs = leafRefs(leaf);
            long[] less = new long[n - 1];
            System.arraycopy(refs, 0, less, 0, pos);
            System.arraycopy(refs, pos + 1, less, pos, n - 1 - pos);
            now = writeLeaf(less, 0, less.length);
            relink(depth, now);
            release(leaf);
        }
        if (depth > 0 && n - 1 < MERGE_BELOW) {
            mergeWithSibling(depth, now);
        }
        return true;
    }

    /** Removes child {@code pathIndex[depth]} of {@code pathPage[depth]}; the caller frees the child. */
    private void removeChild(int depth) throws IOException {
        int parent = pathPage[depth];
        int i = pathIndex[depth];
        InnerEntries e = innerEntries(parent);
        e.children.remove(i);
        e.separators.remove(i);
        if (e.children.isEmpty()) {
            if (depth == 0) {
                int leaf = allocate();
                setHeader(leaf, KIND_LEAF, 0);
                setRoot(leaf);
            } else {
                removeChild(depth - 1);
            }
            release(parent);
            return;
        }
        if (i == 0) {
            e.separators.set(0, new byte[0]); // the new first child inherits the parent's lower bound
        }
        int copy = writeInner(e.children, e.separators);
        relink(depth, copy);
        release(parent);
        collapseRoot();
    }

    /** Merges the leaf at {@code depth} (now page {@code leaf}) with a sibling if both fit in three quarters of a page. */
    private void mergeWithSibling(int depth, int leaf) throws IOException {
        int parent = pathPage[depth - 1];
        int i = pathIndex[depth - 1];
        int pn = count(parent);
        if (pn < 2) {
            return;
        }
        int leftIndex = i + 1 < pn ? i : i - 1;
        int leftPage = leftIndex == i ? leaf : child(parent, leftIndex);
        int rightPage = leftIndex == i ? child(parent, i + 1) : leaf;
        if (kind(leftPage) != KIND_LEAF
                || kind(rightPage) != KIND_LEAF
                || count(leftPage) + count(rightPage) > MERGE_UP_TO) {
            return;
        }
        long[] l = leafRefs(leftPage);
        long[] r = leafRefs(rightPage);
        long[] both = Arrays.copyOf(l, l.length + r.length);
        System.arraycopy(r, 0, both, l.length, r.length);
        int merged = writeLeaf(both, 0, both.length);
        InnerEntries e = innerEntries(parent);
        e.children.set(leftIndex, merged);
        e.children.remove(leftIndex + 1);
        e.separators.remove(leftIndex + 1);
        int copy = writeInner(e.children, e.separators);
        relink(depth - 1, copy);
        release(parent);
        release(leftPage);
        release(rightPage);
        collapseRoot();
    }

    private void collapseRoot() {
        int root = root();
        while (kind(root) == KIND_INNER && count(root) == 1) {
            int only = child(root, 0);
            setRoot(only);
            release(root);
            root = only;
        }
    }

    // ---- readers ----

    /** Walks tree references in key order. Use under the store's read lock (or as the writer). */
    final class Cursor {
        private final int[] pages = new int[MAX_HEIGHT];
        private final int[] index = new int[MAX_HEIGHT];
        private int depth;

        /** Positions at the first key {@code >= from} ({@code > from} unless {@code inclusive}). */
        Cursor(byte[] from, boolean inclusive) {
            int page = root();
            int d = 0;
            while (kind(page) == KIND_INNER) {
                int i = childIndex(page, from);
                pages[d] = page;
                index[d] = i;
                d++;
                page = child(page, i);
            }
            int pos = search(page, from);
            if (pos >= 0) {
                pos = inclusive ? pos : pos + 1;
            } else {
                pos = -pos - 1;
            }
            pages[d] = page;
            index[d] = pos;
            depth = d;
        }

        /** The next tree reference, or 0 at the end. */
        long next() {
            while (true) {
                int leaf = pages[depth];
                if (index[depth] < count(leaf)) {
                    return ref(leaf, index[depth]++);
                }
                int d = depth - 1;
                while (d >= 0 && index[d] + 1 >= count(pages[d])) {
                    d--;
                }
                if (d < 0) {
                    return 0;
                }
                index[d]++;
                int page = child(pages[d], index[d]);
                d++;
                while (kind(page) == KIND_INNER) {
                    pages[d] = page;
                    index[d] = 0;
                    d++;
                    page = child(page, 0);
                }
                pages[d] = page;
                index[d] = 0;
                depth = d;
            }
        }
    }

    /** Pages in use and in the file, for STATS. */
    long pagesInUse() {
        return pages - 1 - freeCount;
    }

    long fileBytes() {
        return (long) segments.size() * SEGMENT_BYTES;
    }

    @Override
    public void close() {
        arena.close();
    }
}
