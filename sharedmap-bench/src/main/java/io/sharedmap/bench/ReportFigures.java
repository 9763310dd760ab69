package io.sharedmap.bench;

import java.util.Map;

/**
 * The shared_map report's published benchmark (its Table 1): mean seconds per process for 100,000
 * reads, 100,000 writes, and 100,000 reads + 100,000 writes, all on one key. The report labels
 * them milliseconds but they are seconds (about 9 µs per read). They were measured in 2017 on
 * another machine, against a kernel module reached over Netlink.
 */
final class ReportFigures {
    private ReportFigures() {}

    /** processes -> {read, write, read+write} seconds per process. */
    static final Map<Integer, double[]> SECONDS = Map.of(
            1, new double[] {0.926, 3.082, 4.049},
            2, new double[] {0.897, 4.223, 5.596},
            4, new double[] {0.928, 8.076, 9.618},
            6, new double[] {1.316, 12.371, 15.067},
            8, new double[] {1.861, 16.568, 20.408},
            10, new double[] {2.363, 20.563, 25.690});

    /** The report's Table 2 as published: each row of Table 1 as a percentage of the previous row. */
    static final Map<Integer, double[]> PERCENT_OF_PREVIOUS = Map.of(
            1, new double[] {100.000, 100.000, 100.000},
            2, new double[] {96.868, 137.005, 138.195},
            4, new double[] {103.400, 191.249, 171.893},
            6, new double[] {141.833, 153.190, 156.654},
            8, new double[] {141.458, 133.924, 135.444},
            10, new double[] {126.967, 124.116, 125.884});

    /** The report's process counts, in its row order. */
    static final int[] PROCESSES = {1, 2, 4, 6, 8, 10};

    /** Operations per process in the report. */
    static final long OPS = 100_000;

    static int column(Mix mix) {
        return switch (mix) {
            case READ -> 0;
            case WRITE -> 1;
            case RW -> 2;
            case PING -> -1;
        };
    }
}
