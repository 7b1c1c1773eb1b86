package ai.qubittron.bastion.bench.scheduler;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One load level's requests, fixed before any policy runs so that every policy sees the same ones:
 * arrival times (gamma inter-arrivals at {@code ratePerSecond}), prompt and output sizes. Sizes come
 * from a stream seeded by the scenario's seed alone, so the k-th request has the same size at every load.
 */
final class Workload {

    private static final int SHORT_MIN = 256;
    private static final int SHORT_MAX = 1_024;
    private static final int LONG_MAX = 16_384;
    private static final int OUTPUT_MIN = 64;
    private static final int OUTPUT_MAX = 1_024;

    final double ratePerSecond;
    final long[] arrivalNanos;
    final int[] promptTokens;
    final int[] outputTokens;

    private Workload(double ratePerSecond, long[] arrivalNanos, int[] promptTokens, int[] outputTokens) {
        this.ratePerSecond = ratePerSecond;
        this.arrivalNanos = arrivalNanos;
        this.promptTokens = promptTokens;
        this.outputTokens = outputTokens;
    }

    int size() {
        return arrivalNanos.length;
    }

    /** The requests arriving in {@code [0, scenario.durationNanos())} at {@code ratePerSecond} on average. */
    static Workload generate(Scenario scenario, double ratePerSecond) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected > 0)");
        }
        SplittableRandom arrivals = new SplittableRandom(scenario.seed() * 0x9E3779B97F4A7C15L
                + Double.doubleToLongBits(ratePerSecond));
        Sizes sizes = new Sizes(scenario);
        double shape = 1.0 / (scenario.arrivalCv() * scenario.arrivalCv());
        double scaleNanos = 1e9 / ratePerSecond / shape;
        int capacity = (int) Math.min(Integer.MAX_VALUE - 8, scenario.durationNanos() / 1e9 * ratePerSecond * 1.2 + 16);
        long[] at = new long[capacity];
        int[] prompt = new int[capacity];
        int[] output = new int[capacity];
        int n = 0;
        double t = gamma(arrivals, shape) * scaleNanos;
        while (t < scenario.durationNanos()) {
            if (n == at.length) {
                int grown = Math.max(16, n + (n >> 1));
                at = Arrays.copyOf(at, grown);
                prompt = Arrays.copyOf(prompt, grown);
                output = Arrays.copyOf(output, grown);
            }
            at[n] = (long) t;
            prompt[n] = sizes.prompt();
            output[n] = sizes.output();
            n++;
            t += gamma(arrivals, shape) * scaleNanos;
        }
        return new Workload(ratePerSecond, Arrays.copyOf(at, n), Arrays.copyOf(prompt, n), Arrays.copyOf(output, n));
    }

    /**
     * The expected number of output tokens a sequence still has to emit once it has emitted
     * {@code generated} (0 for a request not started): the mean of the output-length distribution
     * conditioned on being longer than {@code generated}.
     */
    static int expectedRemainingOutput(int generated) {
        if (generated >= OUTPUT_MAX) {
            return 0;
        }
        int from = Math.max(OUTPUT_MIN, generated + 1);
        return (int) Math.round((from + OUTPUT_MAX) / 2.0) - generated;
    }

    /** The request-size distribution of a scenario, as a deterministic stream. */
    static final class Sizes {
        private final SplittableRandom random;
        private final double longShare;

        Sizes(Scenario scenario) {
            this(scenario.seed(), scenario.longPromptShare());
        }

        Sizes(long seed, double longShare) {
            this.random = new SplittableRandom(seed);
            this.longShare = longShare;
        }

        int prompt() {
            return random.nextDouble() < longShare
                    ? random.nextInt(Scenario.LONG_PROMPT_TOKENS, LONG_MAX + 1)
                    : random.nextInt(SHORT_MIN, SHORT_MAX + 1);
        }

        int output() {
            return random.nextInt(OUTPUT_MIN, OUTPUT_MAX + 1);
        }
    }

    /**
     * A Gamma(shape, 1) sample: Marsaglia and Tsang's method, with the {@code U^(1/shape)} boost for a
     * shape below 1.
     */
    static double gamma(SplittableRandom random, double shape) {
        if (shape < 1) {
            double u = random.nextDouble();
            return gamma(random, shape + 1) * Math.pow(u == 0 ? Double.MIN_VALUE : u, 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        for (;;) {
            double x = random.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = random.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }
}
