package ai.qubittron.bastion.core.scheduler;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A time-decayed moving average: every sample is blended in with weight {@code 1 - exp(-Δt/τ)}, Δt being
 * the time since the previous sample, so the estimate follows the samples of the last τ or so, whatever
 * their rate; unlike {@link PeakEwma}, a high sample gets no more weight than a low one.
 *
 * <p>Lock-free and allocation-free, like {@link PeakEwma}; a sample arriving at the same instant as the
 * previous one has no weight, so a burst of simultaneous samples counts once.
 */
final class Ewma {

    private final double tauNanos;
    private final AtomicLong bits;
    private final AtomicLong stampNanos;

    Ewma(double initial, long nowNanos, long tauNanos) {
        this.tauNanos = tauNanos;
        this.bits = new AtomicLong(Double.doubleToRawLongBits(initial));
        this.stampNanos = new AtomicLong(nowNanos);
    }

    double get() {
        return Double.longBitsToDouble(bits.get());
    }

    void update(double sample, long nowNanos) {
        if (!(sample >= 0) || Double.isInfinite(sample)) {
            return;
        }
        long prev = stampNanos.getAndAccumulate(nowNanos, Math::max);
        double elapsed = Math.max(0L, nowNanos - prev);
        double keep = Math.exp(-elapsed / tauNanos);
        for (;;) {
            long cur = bits.get();
            double next = Double.longBitsToDouble(cur) * keep + sample * (1.0 - keep);
            if (bits.compareAndSet(cur, Double.doubleToRawLongBits(next))) {
                return;
            }
        }
    }
}
