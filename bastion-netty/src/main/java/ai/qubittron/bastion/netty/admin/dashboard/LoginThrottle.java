package ai.qubittron.bastion.netty.admin.dashboard;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Counts failed sign-ins per remote address in fixed windows: after {@link #DEFAULT_MAX_FAILURES} in
 * {@link #DEFAULT_WINDOW}, the address is refused (429) until its window ends, so the admin token cannot be
 * guessed through the login form. A success clears the address's count. Thread-safe.
 */
final class LoginThrottle {

    /** Default failures allowed per address and window: 10. */
    static final int DEFAULT_MAX_FAILURES = 10;
    /** Default window: one minute, from the address's first failure. */
    static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    /** Addresses tracked at most; past that, windows that have ended are purged first. */
    private static final int MAX_ADDRESSES = 10_000;

    private static final class Window {
        final long startNanos;
        int failures;

        Window(long startNanos) {
            this.startNanos = startNanos;
        }
    }

    private final Map<InetAddress, Window> windows = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;
    private final int maxFailures;
    private final long windowNanos;

    LoginThrottle(LongSupplier nanoClock, int maxFailures, Duration window) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("maxFailures: must be >= 1, got " + maxFailures);
        }
        this.nanoClock = nanoClock;
        this.maxFailures = maxFailures;
        this.windowNanos = window.toNanos();
    }

    /** {@return 0 when {@code address} may try to sign in, else the seconds until it may (at least 1)} */
    synchronized long retryAfterSeconds(InetAddress address) {
        Window w = windows.get(address);
        if (w == null) {
            return 0;
        }
        long elapsed = nanoClock.getAsLong() - w.startNanos;
        if (elapsed >= windowNanos) {
            windows.remove(address);
            return 0;
        }
        if (w.failures < maxFailures) {
            return 0;
        }
        return Math.max(1, Duration.ofNanos(windowNanos - elapsed).toSeconds() + 1);
    }

    /** Counts a wrong token from {@code address}. */
    synchronized void failed(InetAddress address) {
        long now = nanoClock.getAsLong();
        if (windows.size() >= MAX_ADDRESSES) {
            windows.values().removeIf(w -> now - w.startNanos >= windowNanos);
        }
        Window w = windows.get(address);
        if (w == null || now - w.startNanos >= windowNanos) {
            w = new Window(now);
            windows.put(address, w);
        }
        w.failures++;
    }

    /** Clears {@code address}'s failures after it signed in. */
    synchronized void succeeded(InetAddress address) {
        windows.remove(address);
    }
}
