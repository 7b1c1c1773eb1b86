package ai.qubittron.bastion.core.scheduler;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A time-decayed moving average: a sample is blended in with weight {@code 1 - exp(-Δt/τ)}, Δt being the
 * time since the previous sample, so the estimate follows the samples of the last τ or so, whatever their
 * rate. Two kinds:
 * <ul>
 *   <li>{@link #peak}: peak-sensitive (Finagle/Linkerd "peak EWMA"): a sample above the estimate replaces
 *       it at once, and only lower samples are blended in, so the estimate falls with time constant τ;</li>
 *   <li>{@link #plain}: every sample is blended in, a high one with no more weight than a low one.</li>
 * </ul>
 *
 * <p>Lock-free and allocation-free: the value is a CAS'd double in an {@link AtomicLong}, the time of the
 * last sample is advanced monotonically. Two racing samples are both applied; the later one sees Δt ≈ 0,
 * which only weighs it less. A sample at the same instant as the previous one has no weight in the blend,
 * so a burst of simultaneous samples counts once.
 */
final class Ewma {

    private final boolean peak;
    private final double tauNanos;
    private final AtomicLong bits;
    private final AtomicLong stampNanos;

    private Ewma(boolean peak, double initial, long nowNanos, long tauNanos) {
        this.peak = peak;
        this.tauNanos = tauNanos;
        this.bits = new AtomicLong(Double.doubleToRawLongBits(initial));
        this.stampNanos = new AtomicLong(nowNanos);
    }

    /** A peak-sensitive average starting at {@code initial}. */
    static Ewma peak(double initial, long nowNanos, long tauNanos) {
        return new Ewma(true, initial, nowNanos, tauNanos);
    }

    /** A plain average starting at {@code initial}. */
    static Ewma plain(double initial, long nowNanos, long tauNanos) {
        return new Ewma(false, initial, nowNanos, tauNanos);
    }

    double get() {
        return Double.longBitsToDouble(bits.get());
    }

    /** Adds a sample taken at {@code nowNanos}; a negative, NaN or infinite one is ignored. */
    void update(double sample, long nowNanos) {
        if (!(sample >= 0) || Double.isInfinite(sample)) {
            return;
        }
        long prev = stampNanos.getAndAccumulate(nowNanos, Math::max);
        double elapsed = Math.max(0L, nowNanos - prev);
        double keep = Math.exp(-elapsed / tauNanos);
        for (;;) {
            long cur = bits.get();
            double value = Double.longBitsToDouble(cur);
            double next = peak && sample > value ? sample : value * keep + sample * (1.0 - keep);
            if (bits.compareAndSet(cur, Double.doubleToRawLongBits(next))) {
                return;
            }
        }
    }
}
