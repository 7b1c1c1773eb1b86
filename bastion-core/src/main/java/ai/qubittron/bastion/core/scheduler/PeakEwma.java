package ai.qubittron.bastion.core.scheduler;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A peak-sensitive moving average (Finagle/Linkerd "peak EWMA"): a sample above the estimate replaces
 * it at once; a sample below it is blended in with weight {@code 1 - exp(-Δt/τ)}, Δt being the time since
 * the previous sample, so the estimate falls with time constant τ.
 *
 * <p>Lock-free and allocation-free: the value is a CAS'd double in an {@link AtomicLong}, the time of the
 * last sample is advanced monotonically. Two racing samples are both applied; the later one sees Δt ≈ 0,
 * which only makes the decay slightly slower — harmless for a load estimate.
 */
final class PeakEwma {

    private final double tauNanos;
    private final AtomicLong bits;
    private final AtomicLong stampNanos;

    PeakEwma(double initial, long nowNanos, long tauNanos) {
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
            double value = Double.longBitsToDouble(cur);
            double next = sample > value ? sample : value * keep + sample * (1.0 - keep);
            if (bits.compareAndSet(cur, Double.doubleToRawLongBits(next))) {
                return;
            }
        }
    }
}
