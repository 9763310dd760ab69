package io.sharedmap.bench;

import java.util.SplittableRandom;

/**
 * Draws ranks 0..n-1 with probability proportional to {@code 1 / (rank + 1)^theta}, in constant
 * time per draw, by the method of Gray et al., "Quickly Generating Billion-Record Synthetic
 * Databases" (SIGMOD 1994), as YCSB's {@code ZipfianGenerator} does. Rank 0 is the hottest key.
 * Set-up is O(n) (the zeta sum). Valid for {@code 0 < theta < 1}; YCSB's default is 0.99.
 */
final class ZipfGenerator {
    private final int n;
    private final double theta;
    private final double zetaN;
    private final double alpha;
    private final double eta;
    private final double halfPowTheta;

    ZipfGenerator(int n, double theta) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1 but was " + n);
        }
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("--zipf-theta must be in (0, 1) but was " + theta);
        }
        this.n = n;
        this.theta = theta;
        this.zetaN = zeta(n, theta);
        double zeta2 = zeta(2, theta);
        this.alpha = 1.0 / (1.0 - theta);
        this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetaN);
        this.halfPowTheta = Math.pow(0.5, theta);
    }

    private static double zeta(int n, double theta) {
        double sum = 0;
        for (int i = 1; i <= n; i++) {
            sum += 1 / Math.pow(i, theta);
        }
        return sum;
    }

    /** The next rank, in 0..n-1. */
    int next(SplittableRandom random) {
        double u = random.nextDouble();
        double uz = u * zetaN;
        if (uz < 1.0) {
            return 0;
        }
        if (uz < 1.0 + halfPowTheta) {
            return Math.min(1, n - 1);
        }
        int rank = (int) (n * Math.pow(eta * u - eta + 1, alpha));
        return Math.min(rank, n - 1);
    }

    double theta() {
        return theta;
    }
}
