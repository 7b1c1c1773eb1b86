package ai.qubittron.bastion.netty.admin.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The session store and the sign-in throttle, on an injected clock. */
class SessionStoreTest {

    private final AtomicLong now = new AtomicLong(1_000);

    @Test
    void sessionIdsAndCsrfTokensAreRandom256BitValues() {
        SessionStore store = new SessionStore(now::get, Duration.ofHours(12), 100);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            SessionStore.Session s = store.create();
            // 32 bytes in base64url without padding
            assertThat(s.id()).hasSize(43).matches("[A-Za-z0-9_-]+");
            assertThat(s.csrfToken()).hasSize(43).isNotEqualTo(s.id());
            assertThat(seen.add(s.id())).isTrue();
            assertThat(seen.add(s.csrfToken())).isTrue();
            assertThat(s.toString()).doesNotContain(s.id()).doesNotContain(s.csrfToken());
        }
    }

    @Test
    void aSessionIsFoundUntilItIsIdleForTheTimeout() {
        SessionStore store = new SessionStore(now::get, Duration.ofHours(12), 100);
        SessionStore.Session s = store.create();
        now.addAndGet(Duration.ofHours(11).toNanos());
        assertThat(store.find(s.id())).contains(s);
        // the use above moved the idle clock on
        now.addAndGet(Duration.ofHours(11).toNanos());
        assertThat(store.find(s.id())).contains(s);
        now.addAndGet(Duration.ofHours(12).toNanos() + 1);
        assertThat(store.find(s.id())).isEmpty();
        assertThat(store.size()).isZero();
    }

    @Test
    void unknownDroppedAndMalformedIdsFindNothing() {
        SessionStore store = new SessionStore(now::get, Duration.ofHours(12), 100);
        SessionStore.Session s = store.create();
        assertThat(store.find(null)).isEmpty();
        assertThat(store.find("")).isEmpty();
        assertThat(store.find(s.id() + "x")).isEmpty();
        assertThat(store.find(s.csrfToken())).isEmpty();
        assertThat(store.find("x".repeat(10_000))).isEmpty();
        store.drop(s.id());
        assertThat(store.find(s.id())).isEmpty();
    }

    @Test
    void pastTheBoundTheLeastRecentlyUsedSessionGoes() {
        SessionStore store = new SessionStore(now::get, Duration.ofHours(12), 2);
        SessionStore.Session first = store.create();
        now.incrementAndGet();
        SessionStore.Session second = store.create();
        now.incrementAndGet();
        store.find(first.id());
        now.incrementAndGet();
        SessionStore.Session third = store.create();
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.find(second.id())).isEmpty();
        assertThat(store.find(first.id())).isPresent();
        assertThat(store.find(third.id())).isPresent();
    }

    @Test
    void theCsrfTokenMustMatchExactly() {
        SessionStore.Session s = new SessionStore(now::get, Duration.ofHours(1), 1).create();
        assertThat(s.csrfMatches(s.csrfToken())).isTrue();
        assertThat(s.csrfMatches(null)).isFalse();
        assertThat(s.csrfMatches("")).isFalse();
        assertThat(s.csrfMatches(s.csrfToken().substring(1))).isFalse();
        assertThat(s.csrfMatches(s.id())).isFalse();
    }

    @Test
    void theStoreRefusesNonsenseSettings() {
        assertThatThrownBy(() -> new SessionStore(now::get, Duration.ZERO, 1)).hasMessageContaining("idleTimeout");
        assertThatThrownBy(() -> new SessionStore(now::get, Duration.ofHours(1), 0)).hasMessageContaining("maxSessions");
    }

    @Test
    void tenFailuresInAMinuteBlockTheAddressUntilTheWindowEnds() throws Exception {
        LoginThrottle throttle = new LoginThrottle(now::get, 10, Duration.ofMinutes(1));
        InetAddress a = InetAddress.getByName("192.0.2.1");
        InetAddress b = InetAddress.getByName("192.0.2.2");
        for (int i = 0; i < 10; i++) {
            assertThat(throttle.retryAfterSeconds(a)).isZero();
            throttle.failed(a);
        }
        assertThat(throttle.retryAfterSeconds(a)).isBetween(1L, 61L);
        assertThat(throttle.retryAfterSeconds(b)).isZero();
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(throttle.retryAfterSeconds(a)).isBetween(1L, 31L);
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(throttle.retryAfterSeconds(a)).isZero();
    }

    @Test
    void aSuccessClearsTheFailures() throws Exception {
        LoginThrottle throttle = new LoginThrottle(now::get, 3, Duration.ofMinutes(1));
        InetAddress a = InetAddress.getByName("192.0.2.1");
        throttle.failed(a);
        throttle.failed(a);
        throttle.succeeded(a);
        throttle.failed(a);
        throttle.failed(a);
        assertThat(throttle.retryAfterSeconds(a)).isZero();
        throttle.failed(a);
        assertThat(throttle.retryAfterSeconds(a)).isPositive();
    }
}
