package ai.qubittron.bastion.redis;

import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.tck.MutableClock;
import ai.qubittron.bastion.spi.tck.RateLimiterContractTest;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;

/** The SPI contract, unchanged, against the Redis of {@link RedisTesting}. */
class RedisRateLimiterContractTest extends RateLimiterContractTest {

    private RedisRateLimiter current;

    @Override
    protected RateLimiter newLimiter(MutableClock clock) {
        // a fresh key space per test: no history
        current = RedisRateLimiter.connect(RedisTesting.URI, "bastion-test:" + UUID.randomUUID() + ":", clock,
                Duration.ofSeconds(5));
        return current;
    }

    @AfterEach
    void close() {
        current.close();
    }
}
