package ai.qubittron.bastion.spi.tck;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Clock} that tests set and advance by hand, with millisecond precision, in UTC. It stands
 * still unless told otherwise, so time-based answers (window resets, retention) are exact.
 *
 * <p>Thread-safe: any thread may read or move it. Clocks returned by {@link #withZone} share the same
 * time.
 */
public final class MutableClock extends Clock {

    private final AtomicLong millis;
    private final ZoneId zone;

    /** A clock standing at {@code epochMillis}. */
    public MutableClock(long epochMillis) {
        this(new AtomicLong(epochMillis), ZoneOffset.UTC);
    }

    private MutableClock(AtomicLong millis, ZoneId zone) {
        this.millis = millis;
        this.zone = zone;
    }

    /** A clock standing at {@code instant} (sub-millisecond precision is dropped). */
    public static MutableClock at(Instant instant) {
        return new MutableClock(instant.toEpochMilli());
    }

    /** Moves the clock to {@code epochMillis}, forwards or backwards. */
    public void setMillis(long epochMillis) {
        millis.set(epochMillis);
    }

    /** Moves the clock forwards by {@code amount} (backwards when negative). */
    public void advance(Duration amount) {
        advanceMillis(amount.toMillis());
    }

    /** Moves the clock forwards by {@code amountMillis} (backwards when negative). */
    public void advanceMillis(long amountMillis) {
        millis.addAndGet(amountMillis);
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new MutableClock(millis, zone);
    }

    @Override
    public String toString() {
        return "MutableClock[" + instant() + "]";
    }
}
