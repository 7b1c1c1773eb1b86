package ai.qubittron.bastion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimits;
import ai.qubittron.bastion.spi.tck.MutableClock;
import ai.qubittron.bastion.testing.RedisServerProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the contract tests do not cover: several nodes, Redis's own clock, a lost script cache, an outage. */
@Timeout(60)
class RedisRateLimiterTest {

    private static String prefix() {
        return "bastion-test:" + UUID.randomUUID() + ":";
    }

    @Test
    void threeNodesShareOneLimitUnderConcurrentRequests() {
        String prefix = prefix();
        // one clock standing still, so that the burst is in one window
        MutableClock clock = new MutableClock(1_740_000_010_000L);
        List<RedisRateLimiter> nodes = List.of(
                RedisRateLimiter.connect(RedisTesting.URI, prefix, clock, Duration.ofSeconds(5)),
                RedisRateLimiter.connect(RedisTesting.URI, prefix, clock, Duration.ofSeconds(5)),
                RedisRateLimiter.connect(RedisTesting.URI, prefix, clock, Duration.ofSeconds(5)));
        try {
            RateLimits limits = new RateLimits(100, 1_000_000);
            List<CompletableFuture<RateLimitDecision>> decisions = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                decisions.add(nodes.get(i % 3).acquire("key_shared", limits, 7).toCompletableFuture());
            }
            List<RateLimitDecision> all = decisions.stream().map(CompletableFuture::join).toList();
            List<RateLimitDecision> allowed = all.stream().filter(RateLimitDecision::allowed).toList();
            assertThat(allowed).hasSize(100);
            assertThat(allowed.stream().mapToLong(RateLimitDecision::remainingRequests).sorted().toArray())
                    .containsExactly(java.util.stream.LongStream.range(0, 100).toArray());
            assertThat(all.stream().filter(d -> !d.allowed())).hasSize(900)
                    .allSatisfy(d -> assertThat(d.remainingTokens()).isEqualTo(1_000_000 - 700));
        } finally {
            nodes.forEach(RedisRateLimiter::close);
        }
    }

    @Test
    void withoutAClockTheWindowFollowsRedisTime() {
        try (RedisRateLimiter limiter = RedisRateLimiter.connect(RedisTesting.URI)) {
            String key = "k-" + UUID.randomUUID();
            RateLimitDecision first = limiter.acquire(key, new RateLimits(5, 100), 10).toCompletableFuture().join();
            long sinceMinute = System.currentTimeMillis() % 60_000;
            assertThat(first.allowed()).isTrue();
            assertThat(first.remainingTokens()).isEqualTo(90);
            // Redis runs on this machine: its minute is ours, to a few ms
            assertThat(first.resetMillis()).isBetween(1L, 60_000L);
            assertThat(Math.abs((first.resetMillis() + sinceMinute) % 60_000 - 0)).satisfiesAnyOf(
                    d -> assertThat(d).isLessThan(2_000L), d -> assertThat(d).isGreaterThan(58_000L));
        }
    }

    @Test
    void aFlushedScriptCacheIsRefilled() throws Exception {
        try (RedisRateLimiter limiter = RedisRateLimiter.connect(RedisTesting.URI, prefix(), null, Duration.ofSeconds(5))) {
            RateLimits limits = new RateLimits(10, 100);
            assertThat(limiter.acquire("k", limits, 1).toCompletableFuture().join().allowed()).isTrue();
            RedisClient admin = RedisClient.create(RedisTesting.URI);
            try (StatefulRedisConnection<String, String> c = admin.connect()) {
                c.sync().scriptFlush();
            } finally {
                admin.shutdown();
            }
            RateLimitDecision next = limiter.acquire("k", limits, 1).toCompletableFuture().join();
            assertThat(next.allowed()).isTrue();
            assertThat(next.remainingRequests()).isEqualTo(8);
        }
    }

    /** A Redis of the test's own, stopped and started again on the same port. */
    @Test
    void whileRedisIsDownDecisionsFailAtOnceAndTheyComeBackWithIt() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             RedisRateLimiter limiter = RedisRateLimiter.connect(redis.uri(), prefix(), null, Duration.ofMillis(500))) {
            RateLimits limits = new RateLimits(1_000, 1_000_000);
            assertThat(limiter.acquire("k", limits, 1).toCompletableFuture().join().allowed()).isTrue();

            redis.stop();
            long start = System.nanoTime();
            assertThatThrownBy(() -> limiter.acquire("k", limits, 1).toCompletableFuture().join())
                    .isInstanceOf(CompletionException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);

            redis.restart();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            RateLimitDecision back = null;
            while (back == null && System.nanoTime() < deadline) {
                try {
                    back = limiter.acquire("k", limits, 1).toCompletableFuture().join();
                } catch (CompletionException reconnecting) {
                    Thread.sleep(100);
                }
            }
            assertThat(back).isNotNull();
            // a Redis that kept nothing: the window starts again
            assertThat(back.allowed()).isTrue();
            assertThat(back.remainingRequests()).isEqualTo(999);
        }
    }
}
