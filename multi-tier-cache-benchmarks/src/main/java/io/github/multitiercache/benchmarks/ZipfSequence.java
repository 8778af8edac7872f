package io.github.multitiercache.benchmarks;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A precomputed, reproducible sequence of key indexes drawn from a Zipf distribution (exponent
 * {@value #EXPONENT}, as YCSB's default), with ranks scrambled over the key space so that the hot
 * keys are not simply the lowest ids.
 */
final class ZipfSequence {

    /** The Zipf exponent. */
    static final double EXPONENT = 0.99;

    private ZipfSequence() {
    }

    /**
     * Draws a sequence.
     * @param keySpace the number of distinct keys
     * @param length the sequence length
     * @param seed the random seed
     * @return indexes in {@code [0, keySpace)}
     */
    static int[] generate(int keySpace, int length, long seed) {
        double[] cumulative = new double[keySpace];
        double sum = 0;
        for (int rank = 0; rank < keySpace; rank++) {
            sum += 1 / Math.pow(rank + 1, EXPONENT);
            cumulative[rank] = sum;
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] scramble = new int[keySpace];
        for (int i = 0; i < keySpace; i++) {
            scramble[i] = i;
        }
        for (int i = keySpace - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = scramble[i];
            scramble[i] = scramble[j];
            scramble[j] = swap;
        }
        int[] sequence = new int[length];
        for (int i = 0; i < length; i++) {
            int found = Arrays.binarySearch(cumulative, random.nextDouble() * sum);
            int rank = (found >= 0) ? found : Math.min(-found - 1, keySpace - 1);
            sequence[i] = scramble[rank];
        }
        return sequence;
    }
}
