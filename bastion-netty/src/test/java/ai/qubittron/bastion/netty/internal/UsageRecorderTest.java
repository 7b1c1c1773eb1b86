package ai.qubittron.bastion.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.netty.usage.KeyLoad;
import ai.qubittron.bastion.netty.usage.KeyUsage;
import ai.qubittron.bastion.netty.usage.ModelLatency;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The usage recorder's minutes roll over, its cap holds, and its latency window moves with rotate(). */
class UsageRecorderTest {

    private static final ApiPrincipal A = new ApiPrincipal("key_a", "acct_1", "free", Set.of());
    private static final ApiPrincipal B = new ApiPrincipal("key_b", "acct_2", "pro", Set.of());
    /** The start of a minute, epoch seconds. */
    private static final long T0 = 1_800_000_000L / 60 * 60;

    private final MovableClock clock = new MovableClock(T0 * 1000);

    @Test
    void settlementsAreSummedPerKeyModelAndMinuteOldestFirst() {
        UsageRecorder usage = new UsageRecorder(clock, 100);
        usage.settled(A, "gpt-oss-120b", 10, 5, 15);
        usage.settled(A, "gpt-oss-120b", 20, 6, 26);
        usage.settled(B, "gpt-oss-20b", 1, 1, 2);
        clock.advanceSeconds(61);
        usage.settled(A, "gpt-oss-20b", 3, 4, 7);

        assertThat(usage.usage(60)).containsExactly(
                new KeyUsage(T0, "key_a", "acct_1", "gpt-oss-120b", 2, 30, 11, 41),
                new KeyUsage(T0, "key_b", "acct_2", "gpt-oss-20b", 1, 1, 1, 2),
                new KeyUsage(T0 + 60, "key_a", "acct_1", "gpt-oss-20b", 1, 3, 4, 7));
        // the current minute only
        assertThat(usage.usage(1)).containsExactly(new KeyUsage(T0 + 60, "key_a", "acct_1", "gpt-oss-20b", 1, 3, 4, 7));
    }

    @Test
    void anHourOldMinuteIsDroppedWhenItsSlotIsReused() {
        UsageRecorder usage = new UsageRecorder(clock, 100);
        usage.settled(A, "m", 1, 1, 1);
        clock.advanceSeconds(59 * 60);
        usage.settled(A, "m", 2, 2, 2);
        assertThat(usage.usage(60)).extracting(KeyUsage::minute).containsExactly(T0, T0 + 59 * 60);

        clock.advanceSeconds(60);
        // the first minute is out of the last 60 minutes, even before its slot is reused
        assertThat(usage.usage(60)).extracting(KeyUsage::minute).containsExactly(T0 + 59 * 60);
        usage.settled(B, "m", 3, 3, 3);
        assertThat(usage.usage(60)).extracting(KeyUsage::minute).containsExactly(T0 + 59 * 60, T0 + 60 * 60);
        assertThat(usage.usage(60)).extracting(KeyUsage::inputTokens).containsExactly(2L, 3L);
    }

    @Test
    void pairsPastTheCapAreSummedInOneOtherEntry() {
        UsageRecorder usage = new UsageRecorder(clock, 3);
        usage.settled(A, "m1", 1, 1, 1);   // key a, pair a×m1: 2 entries
        usage.settled(A, "m2", 1, 1, 1);   // pair a×m2: 3 entries, the cap
        usage.settled(A, "m3", 2, 2, 2);   // past the cap
        usage.settled(B, "m1", 3, 3, 3);   // a new key past the cap
        usage.settled(A, "m1", 1, 1, 1);   // a pair that exists still counts as itself

        assertThat(usage.usage(1)).containsExactly(
                new KeyUsage(T0, "key_a", "acct_1", "m1", 2, 2, 2, 2),
                new KeyUsage(T0, "key_a", "acct_1", "m2", 1, 1, 1, 1),
                new KeyUsage(T0, KeyUsage.OTHER, KeyUsage.OTHER, KeyUsage.OTHER, 2, 5, 5, 5));
        // and the next minute starts with room again
        clock.advanceSeconds(60);
        usage.settled(B, "m1", 1, 1, 1);
        assertThat(usage.usage(1)).containsExactly(new KeyUsage(T0 + 60, "key_b", "acct_2", "m1", 1, 1, 1, 1));
    }

    @Test
    void racingThreadsLoseNoCountAndNeverPassTheCap() throws Exception {
        UsageRecorder usage = new UsageRecorder(clock, 50);
        int threads = 8;
        int each = 2_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread runner = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    // 40 keys × 2 models: more pairs than the cap, each one hit by every thread
                    ApiPrincipal key = new ApiPrincipal("key_" + (i % 40), "acct", "free", Set.of());
                    usage.settled(key, "m" + ((i + thread) % 2), 1, 2, 3);
                }
            });
            runner.start();
            running.add(runner);
        }
        go.countDown();
        for (Thread runner : running) {
            runner.join();
        }
        List<KeyUsage> rows = usage.usage(1);
        long keys = rows.stream().map(KeyUsage::keyId).filter(id -> !id.equals(KeyUsage.OTHER)).distinct().count();
        long pairs = rows.stream().filter(r -> !r.keyId().equals(KeyUsage.OTHER)).count();
        assertThat(keys + pairs).isLessThanOrEqualTo(50);
        assertThat(rows.get(rows.size() - 1).keyId()).isEqualTo(KeyUsage.OTHER);
        assertThat(rows.stream().mapToLong(KeyUsage::requests).sum()).isEqualTo((long) threads * each);
        assertThat(rows.stream().mapToLong(KeyUsage::spentMicros).sum()).isEqualTo(3L * threads * each);
    }

    @Test
    void keyLoadIsTheCurrentMinutesAdmissions() {
        UsageRecorder usage = new UsageRecorder(clock, 100);
        usage.admitted(A, 100);
        usage.admitted(A, 50);
        usage.admitted(B, 7);
        assertThat(usage.keyLoad()).containsExactly(new KeyLoad("key_a", "acct_1", "free", 2, 150),
                new KeyLoad("key_b", "acct_2", "pro", 1, 7));
        clock.advanceSeconds(60);
        assertThat(usage.keyLoad()).isEmpty();
        usage.admitted(B, 1);
        assertThat(usage.keyLoad()).containsExactly(new KeyLoad("key_b", "acct_2", "pro", 1, 1));
    }

    @Test
    void lastUsedIsTheLatestAuthenticationToTheSecond() {
        UsageRecorder usage = new UsageRecorder(clock, 100);
        assertThat(usage.lastUsed("key_a")).isEmpty();
        usage.authenticated("key_a");
        clock.advanceSeconds(90);
        usage.authenticated("key_a");
        assertThat(usage.lastUsed("key_a")).contains(Instant.ofEpochSecond(T0 + 90));
        assertThat(usage.lastUsed("key_b")).isEmpty();
    }

    @Test
    void latencyIsOverTheLastTenRotations() {
        UsageRecorder usage = new UsageRecorder(clock, 100);
        for (int i = 1; i <= 100; i++) {
            usage.latency("m", TimeUnit.MILLISECONDS.toNanos(i * 10L), 5);
        }
        // nothing is seen before the window turns
        assertThat(usage.modelLatency()).containsExactly(new ModelLatency("m", 0, 0, 0, 0));
        usage.rotate();
        ModelLatency seen = usage.modelLatency().get(0);
        assertThat(seen.requests()).isEqualTo(100);
        assertThat(seen.ttftP50Seconds()).isBetween(0.49, 0.51);
        assertThat(seen.ttftP99Seconds()).isBetween(0.98, 1.0);
        assertThat(seen.outputTokensPerSecond()).isEqualTo(50.0);

        for (int i = 0; i < UsageRecorder.WINDOW_SECONDS - 1; i++) {
            usage.rotate();
        }
        assertThat(usage.modelLatency().get(0).requests()).isEqualTo(100);
        usage.rotate();
        assertThat(usage.modelLatency()).containsExactly(new ModelLatency("m", 0, 0, 0, 0));
    }

    @Test
    void usageMinutesAreOneToSixty() {
        UsageRecorder usage = new UsageRecorder(clock, 100);
        assertThatThrownBy(() -> usage.usage(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> usage.usage(61)).isInstanceOf(IllegalArgumentException.class);
        assertThat(usage.usage(60)).isEmpty();
        assertThat(List.of(usage.keyLoad(), usage.modelLatency())).allMatch(List::isEmpty);
    }

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        private volatile long millis;

        MovableClock(long millis) {
            this.millis = millis;
        }

        void advanceSeconds(long seconds) {
            millis += seconds * 1000;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
