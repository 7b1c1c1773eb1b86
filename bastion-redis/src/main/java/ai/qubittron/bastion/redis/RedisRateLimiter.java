package ai.qubittron.bastion.redis;

import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import ai.qubittron.bastion.spi.limit.RateLimits;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link RateLimiter} on Redis, for several gateway nodes: the limits hold across all of them, not
 * per node. Same windows and decisions as the in-memory limiter (fixed one-minute windows aligned to the
 * epoch minute; the SPI contract tests pass unchanged).
 *
 * <p><b>One script per decision.</b> Each acquisition is one {@code EVALSHA} of a Lua script that reads
 * the key's window state (a hash of window, requests and tokens), decides, and writes it back, atomically
 * (Redis runs one script at a time): exact however many nodes race, and a refused acquisition writes
 * nothing. The state of a key expires a minute after its window ends. One key per decision, so it runs
 * on Redis Cluster too. Counts are exact up to 2<sup>53</sup> (Lua numbers).
 *
 * <p><b>Clock.</b> By default the window is read from Redis's clock ({@code TIME}), so that every node
 * agrees whatever its own clock says. With a {@link Clock} (tests), the caller's time is used instead.
 *
 * <p><b>Failures.</b> Commands are refused at once while the connection is down (never queued to run
 * later, after the gateway has already answered), and time out after the command timeout (default
 * 500 ms): the stage fails, and the gateway answers 503 {@code service_unavailable} with
 * {@code Retry-After}. The connection comes back by itself when Redis does.
 *
 * <p>Thread role: any thread; nothing blocks. One multiplexed connection serves every caller.
 * Ownership: {@link #close} closes the connection and the client.
 */
public final class RedisRateLimiter implements RateLimiter, AutoCloseable {

    /** Default prefix of the limiter's Redis keys. */
    public static final String DEFAULT_KEY_PREFIX = "bastion:rl:";
    /** Default command timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    private static final long WINDOW_MILLIS = 60_000;
    private static final String SCRIPT = script();
    private static final String SHA = sha1(SCRIPT);

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private final String prefix;
    private final Clock clock;

    private RedisRateLimiter(RedisClient client, StatefulRedisConnection<String, String> connection, String prefix,
                             Clock clock) {
        this.client = client;
        this.connection = connection;
        this.redis = connection.async();
        this.prefix = prefix;
        this.clock = clock;
    }

    /**
     * Connects to Redis (blocking, once, at start-up) with the default key prefix, Redis's clock and a
     * 500 ms command timeout.
     *
     * @param uri e.g. {@code redis://127.0.0.1:6379}, {@code rediss://…} for TLS, {@code redis://:password@host/2}
     * @return the connected limiter; close it after the gateway that uses it
     * @throws io.lettuce.core.RedisConnectionException when Redis cannot be reached
     */
    public static RedisRateLimiter connect(String uri) {
        return connect(uri, DEFAULT_KEY_PREFIX, null, DEFAULT_TIMEOUT);
    }

    /**
     * Connects to Redis (blocking, once, at start-up).
     *
     * @param uri     as {@link #connect(String)} takes it
     * @param prefix  prefix of every Redis key the limiter writes ({@code <prefix><key id>})
     * @param clock   the clock windows follow, or {@code null} for Redis's own
     * @param timeout how long a decision may take before it fails
     * @return the connected limiter; close it after the gateway that uses it
     * @throws io.lettuce.core.RedisConnectionException when Redis cannot be reached
     */
    public static RedisRateLimiter connect(String uri, String prefix, Clock clock, Duration timeout) {
        Objects.requireNonNull(prefix, "prefix");
        RedisURI redisUri = RedisURI.create(Objects.requireNonNull(uri, "uri"));
        redisUri.setTimeout(timeout);
        RedisClient client = RedisClient.create(redisUri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout.multipliedBy(4)).keepAlive(true).build())
                .build());
        try {
            return new RedisRateLimiter(client, client.connect(), prefix, clock);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    @Override
    public CompletionStage<RateLimitDecision> acquire(String key, RateLimits limits, long tokens) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(limits, "limits");
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens: must be >= 0, got " + tokens);
        }
        long rpm = limits.requestsPerMinute();
        long tpm = limits.tokensPerMinute();
        if (rpm == Long.MAX_VALUE && tpm == Long.MAX_VALUE) {
            long now = clock != null ? clock.millis() : System.currentTimeMillis();
            return CompletableFuture.completedFuture(new RateLimitDecision(true, rpm, rpm, tpm, tpm,
                    WINDOW_MILLIS - Math.floorMod(now, WINDOW_MILLIS), 0));
        }
        String[] keys = {prefix + key};
        String[] args = {Long.toString(clock != null ? clock.millis() : -1), Long.toString(rpm), Long.toString(tpm),
            Long.toString(tokens)};
        CompletableFuture<List<Long>> answer = new CompletableFuture<>();
        redis.<List<Long>>evalsha(SHA, ScriptOutputType.MULTI, keys, args).whenComplete((reply, error) -> {
            if (error instanceof RedisNoScriptException) {
                // the server's script cache is empty (a restart, SCRIPT FLUSH): send it whole, which caches it
                redis.<List<Long>>eval(SCRIPT, ScriptOutputType.MULTI, keys, args).whenComplete((again, failure) -> {
                    if (failure != null) {
                        answer.completeExceptionally(failure);
                    } else {
                        answer.complete(again);
                    }
                });
            } else if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(reply);
            }
        });
        return answer.thenApply(reply -> decision(reply, rpm, tpm));
    }

    private static RateLimitDecision decision(List<Long> reply, long rpm, long tpm) {
        boolean allowed = reply.get(0) == 1;
        long requests = reply.get(1);
        long used = reply.get(2);
        long window = reply.get(3);
        long now = reply.get(4);
        long reset = (window + 1) * WINDOW_MILLIS - now;
        return new RateLimitDecision(allowed, rpm, Math.max(0, rpm - requests), tpm, Math.max(0, tpm - used), reset,
                allowed ? 0 : reset);
    }

    /** Closes the connection; decisions asked for afterwards fail. */
    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }

    private static String script() {
        try (InputStream in = RedisRateLimiter.class.getResourceAsStream("acquire.lua")) {
            if (in == null) {
                throw new IllegalStateException("acquire.lua is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
