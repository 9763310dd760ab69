package io.sharedmap.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The B+tree against a {@link TreeMap}: random inserts, replacements and removals, with keys that
 * share long prefixes (long separators) and keys in order (the append fast path); the walk, point
 * lookups and a reopen (which finds free pages by walking) must agree with the model.
 */
class OrderedIndexTest {
    /** Keys by tree reference: reference r is key number r - 1. */
    private final List<byte[]> keys = new ArrayList<>();

    private final OrderedIndex.Keys access = new OrderedIndex.Keys() {
        @Override
        public int compare(long treeRef, byte[] key) {
            return Arrays.compareUnsigned(keys.get((int) treeRef - 1), key);
        }

        @Override
        public byte[] key(long treeRef) {
            return keys.get((int) treeRef - 1);
        }
    };
    private Path dir;

    @BeforeEach
    @BeforeTry
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("tree");
        keys.clear();
    }

    @AfterEach
    @AfterTry
    void removeDir() throws IOException {
        StoreTestSupport.deleteTree(dir);
    }

    private long refFor(byte[] key) {
        keys.add(key);
        return keys.size();
    }

    private static final Comparator<byte[]> UNSIGNED = Arrays::compareUnsigned;

    private static void assertSame(OrderedIndex t, TreeMap<byte[], Long> model) {
        List<Long> walked = new ArrayList<>();
        OrderedIndex.Cursor c = t.new Cursor(new byte[0], true);
        for (long r = c.next(); r != 0; r = c.next()) {
            walked.add(r);
        }
        assertThat(walked).containsExactlyElementsOf(model.values());
        for (Map.Entry<byte[], Long> e : model.entrySet()) {
            assertThat(t.get(e.getKey())).isEqualTo(e.getValue());
        }
    }

    @Provide
    Arbitrary<List<Tuple.Tuple3<Integer, Integer, Integer>>> operations() {
        // (operation 0..9, key number, key shape)
        return Arbitraries.integers()
                .between(0, 9)
                .flatMap(op -> Arbitraries.integers()
                        .between(0, 3000)
                        .flatMap(k -> Arbitraries.integers().between(0, 2).map(shape -> Tuple.of(op, k, shape))))
                .list()
                .ofMinSize(1)
                .ofMaxSize(4000);
    }

    private static byte[] key(int number, int shape) {
        String s = switch (shape) {
            case 0 -> String.format("k%06d", number);
            case 1 -> "p/".repeat(40) + number; // long shared prefixes: long separators
            default -> Integer.toString(number * 7919 % 3001);
        };
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Property(tries = 60)
    void matchesModel(@ForAll("operations") List<Tuple.Tuple3<Integer, Integer, Integer>> ops) throws IOException {
        TreeMap<byte[], Long> model = new TreeMap<>(UNSIGNED);
        Path file = dir.resolve("tree");
        OrderedIndex t = OrderedIndex.create(file, access);
        try {
            for (Tuple.Tuple3<Integer, Integer, Integer> op : ops) {
                byte[] k = key(op.get2(), op.get3());
                if (op.get1() < 6) {
                    long r = refFor(k);
                    t.upsert(k, r);
                    model.put(k, r);
                } else {
                    assertThat(t.remove(k)).isEqualTo(model.remove(k) != null);
                }
            }
            assertSame(t, model);
        } finally {
            t.close();
        }
        OrderedIndex again = OrderedIndex.open(file, access);
        try {
            assertSame(again, model);
            long inUse = again.pagesInUse();
            // everything can be removed, and the pages come back
            for (byte[] k : new ArrayList<>(model.keySet())) {
                assertThat(again.remove(k)).isTrue();
            }
            assertThat(again.pagesInUse()).isLessThanOrEqualTo(Math.max(1, inUse));
            assertThat(again.new Cursor(new byte[0], true).next()).isZero();
        } finally {
            again.close();
        }
    }

    @Test
    void sequentialInserts_fillLeavesAndStayInOrder() throws IOException {
        TreeMap<byte[], Long> model = new TreeMap<>(UNSIGNED);
        try (OrderedIndex t = OrderedIndex.create(dir.resolve("tree"), access)) {
            int n = 200_000;
            for (int i = 0; i < n; i++) {
                byte[] k = String.format("key:%010d", i).getBytes(StandardCharsets.US_ASCII);
                long r = refFor(k);
                t.upsert(k, r);
                model.put(k, r);
            }
            assertSame(t, model);
            // appending in order splits off a new right leaf and leaves the left one full
            assertThat(t.pagesInUse()).isLessThan(n / StoreLayout.LEAF_CAPACITY + 10);
        }
    }

    @Test
    void longSeparators_splitAndEmptyInnerPages() throws IOException {
        // 600-byte shared prefixes make every separator long: an inner page holds only a few, so the
        // tree grows several levels of inner pages, which then empty and collapse again.
        TreeMap<byte[], Long> model = new TreeMap<>(UNSIGNED);
        Path file = dir.resolve("tree");
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 30_000; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(7));
        try (OrderedIndex t = OrderedIndex.create(file, access)) {
            for (int i : order) {
                byte[] k = ("x".repeat(600) + "/" + (i % 97) + "/" + "y".repeat(i % 300) + i)
                        .getBytes(StandardCharsets.US_ASCII);
                long r = refFor(k);
                t.upsert(k, r);
                model.put(k, r);
            }
            assertSame(t, model);
            int n = 0;
            for (byte[] k : new ArrayList<>(model.keySet())) {
                if (n++ % 3 != 0) {
                    assertThat(t.remove(k)).isTrue();
                    model.remove(k);
                }
            }
            assertSame(t, model);
        }
        try (OrderedIndex again = OrderedIndex.open(file, access)) {
            assertSame(again, model);
            for (byte[] k : new ArrayList<>(model.keySet())) {
                assertThat(again.remove(k)).isTrue();
            }
            assertThat(again.pagesInUse()).isEqualTo(1);
        }
    }

    @Test
    void cursor_startsAtTheFirstKeyNotBelowItsBound() throws IOException {
        try (OrderedIndex t = OrderedIndex.create(dir.resolve("tree"), access)) {
            for (String s : List.of("a", "b/1", "b/2", "b/3", "c")) {
                byte[] k = s.getBytes(StandardCharsets.US_ASCII);
                t.upsert(k, refFor(k));
            }
            OrderedIndex.Cursor from = t.new Cursor("b/".getBytes(StandardCharsets.US_ASCII), true);
            assertThat(new String(access.key(from.next()), StandardCharsets.US_ASCII))
                    .isEqualTo("b/1");
            OrderedIndex.Cursor after = t.new Cursor("b/2".getBytes(StandardCharsets.US_ASCII), false);
            assertThat(new String(access.key(after.next()), StandardCharsets.US_ASCII))
                    .isEqualTo("b/3");
            OrderedIndex.Cursor inclusive = t.new Cursor("b/2".getBytes(StandardCharsets.US_ASCII), true);
            assertThat(new String(access.key(inclusive.next()), StandardCharsets.US_ASCII))
                    .isEqualTo("b/2");
            OrderedIndex.Cursor end = t.new Cursor("d".getBytes(StandardCharsets.US_ASCII), true);
            assertThat(end.next()).isZero();
        }
    }

    @Test
    void shortestSeparator_isBetweenItsKeys() {
        byte[] s = OrderedIndex.shortestSeparator(
                "abcde".getBytes(StandardCharsets.US_ASCII), "abdzz".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(s, StandardCharsets.US_ASCII)).isEqualTo("abd");
        byte[] p = OrderedIndex.shortestSeparator(
                "ab".getBytes(StandardCharsets.US_ASCII), "abc".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(p, StandardCharsets.US_ASCII)).isEqualTo("abc");
    }
}
