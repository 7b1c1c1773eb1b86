package ai.qubittron.bastion.core.scheduler;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when a test says so. */
final class FakeNanoClock implements LongSupplier {

    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    @Override
    public long getAsLong() {
        return now.get();
    }

    long advance(Duration d) {
        return now.addAndGet(d.toNanos());
    }
}
