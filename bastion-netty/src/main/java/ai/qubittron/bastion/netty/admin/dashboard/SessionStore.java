package ai.qubittron.bastion.netty.admin.dashboard;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The dashboard's signed-in sessions, in memory: a random 256-bit id (the cookie's value) and a random
 * 256-bit CSRF token each, forgotten after {@link #DEFAULT_IDLE_TIMEOUT} without use.
 *
 * <p>The store keeps only the SHA-256 of each id, so neither a heap dump nor a lookup's timing gives an
 * id away. At most {@link #DEFAULT_MAX_SESSIONS} are held: a new one past that pushes out the one used
 * least recently. Thread-safe; the admin server calls it from its one thread.
 */
final class SessionStore {

    /** Default idle timeout: 12 hours. */
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(12);
    /** Default bound on the sessions held: 1,024 (only holders of the admin token can make one). */
    static final int DEFAULT_MAX_SESSIONS = 1024;
    private static final int ID_BYTES = 32;

    /** A signed-in session; {@code id} is what the cookie carries and is never logged. */
    record Session(String id, String csrfToken) {

        /** {@return whether {@code token} is this session's CSRF token, compared in constant time} */
        boolean csrfMatches(String token) {
            return token != null && MessageDigest.isEqual(csrfToken.getBytes(StandardCharsets.US_ASCII),
                    token.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Session[redacted]";
        }
    }

    private static final class Entry {
        final Session session;
        volatile long lastUsedNanos;

        Entry(Session session, long now) {
            this.session = session;
            this.lastUsedNanos = now;
        }
    }

    private final Map<String, Entry> byIdHash = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final LongSupplier nanoClock;
    private final long idleNanos;
    private final int maxSessions;

    /**
     * @param nanoClock   a monotonic clock in nanoseconds ({@code System::nanoTime})
     * @param idleTimeout how long an unused session lives
     * @param maxSessions how many sessions are held at most
     */
    SessionStore(LongSupplier nanoClock, Duration idleTimeout, int maxSessions) {
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout: must be > 0, got " + idleTimeout);
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions: must be >= 1, got " + maxSessions);
        }
        this.nanoClock = nanoClock;
        this.idleNanos = idleTimeout.toNanos();
        this.maxSessions = maxSessions;
    }

    /** {@return a new session, with fresh random id and CSRF token} */
    Session create() {
        long now = nanoClock.getAsLong();
        purgeExpired(now);
        while (byIdHash.size() >= maxSessions) {
            dropLeastRecentlyUsed();
        }
        Session session = new Session(randomToken(), randomToken());
        byIdHash.put(hash(session.id()), new Entry(session, now));
        return session;
    }

    /** {@return the live session with this id, marked as used now; empty when unknown or idle too long} */
    Optional<Session> find(String id) {
        if (id == null || id.isEmpty() || id.length() > 64) {
            return Optional.empty();
        }
        String key = hash(id);
        Entry entry = byIdHash.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        long now = nanoClock.getAsLong();
        if (now - entry.lastUsedNanos > idleNanos) {
            byIdHash.remove(key, entry);
            return Optional.empty();
        }
        entry.lastUsedNanos = now;
        return Optional.of(entry.session);
    }

    /** Forgets the session with this id, if there is one. */
    void drop(String id) {
        if (id != null && !id.isEmpty() && id.length() <= 64) {
            byIdHash.remove(hash(id));
        }
    }

    /** {@return how many sessions are held, expired ones not yet purged included} */
    int size() {
        return byIdHash.size();
    }

    private void purgeExpired(long now) {
        byIdHash.values().removeIf(e -> now - e.lastUsedNanos > idleNanos);
    }

    private void dropLeastRecentlyUsed() {
        String oldest = null;
        long oldestUse = Long.MAX_VALUE;
        for (Iterator<Map.Entry<String, Entry>> it = byIdHash.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> e = it.next();
            if (oldest == null || e.getValue().lastUsedNanos - oldestUse < 0) {
                oldest = e.getKey();
                oldestUse = e.getValue().lastUsedNanos;
            }
        }
        if (oldest != null) {
            byIdHash.remove(oldest);
        }
    }

    private String randomToken() {
        byte[] bytes = new byte[ID_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String hash(String id) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
