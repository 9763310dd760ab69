package io.sharedmap.bench;

import io.sharedmap.protocol.view.ViewDescriptor;
import io.sharedmap.protocol.view.ViewWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * How the shared-memory view holds up under delete churn: for live fills of 25% to 85% of the
 * slots, keys come and go (each new key replaces the oldest) and the tool prints which share of the
 * new keys in the second half of the run could not be published for want of a free slot within
 * reach (those are read through the socket instead), and how long a put or remove took on average.
 * The writer alone, in this process: no daemon, no readers.
 *
 * <p>Run: {@code bin/with-jdk java -cp "sharedmap-bench/target/classes:sharedmap-protocol/target/classes"
 * io.sharedmap.bench.ViewChurn [slots] [operations]} (defaults 65536 and 3,000,000), after {@code
 * ./mvnw -q -o -pl sharedmap-bench -am package -DskipTests}.
 */
public final class ViewChurn {
    private ViewChurn() {}

    public static void main(String[] args) {
        int slots = args.length > 0 ? Integer.parseInt(args[0]) : 1 << 16;
        long ops = args.length > 1 ? Long.parseLong(args[1]) : 3_000_000;
        System.out.println("slots,live_fill,operations,withdrawn_no_room_pct,ns_per_op");
        for (double fill : new double[] {0.25, 0.50, 0.75, 0.85}) {
            run(slots, (int) (slots * fill), ops, fill);
        }
    }

    private static void run(int slots, int live, long ops, double fill) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment view = arena.allocate(ViewDescriptor.fileLength(slots, 64), 4096);
            ViewWriter w = ViewWriter.format(view, slots, 64, 1);
            ArrayDeque<Long> keys = new ArrayDeque<>(live);
            byte[] value = new byte[8];
            long published = 0;
            long withdrawn = 0;
            long start = System.nanoTime();
            for (long i = 0; i < ops; i++) {
                if (keys.size() >= live) {
                    w.remove(("k" + keys.poll()).getBytes());
                }
                keys.add(i);
                boolean ok = w.put(("k" + i).getBytes(), value, i + 1);
                if (i >= ops / 2) {
                    if (ok) {
                        published++;
                    } else {
                        withdrawn++;
                    }
                }
            }
            double nsPerOp = (System.nanoTime() - start) / (double) (2 * ops);
            System.out.printf(
                    Locale.ROOT,
                    "%d,%.2f,%d,%.2f,%.0f%n",
                    slots,
                    fill,
                    ops,
                    100.0 * withdrawn / (published + withdrawn),
                    nsPerOp);
        }
    }
}
