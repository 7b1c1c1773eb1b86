package ai.qubittron.bastion.redis;

import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A cache in front of a shared {@link ApiKeyStore} (the PostgreSQL one), so that a node does not ask the
 * database for every request, and that forgets a key as soon as it is revoked on any node: revocations
 * are announced on a Redis channel ({@value #DEFAULT_CHANNEL}) that every node's cache listens to.
 *
 * <ul>
 *   <li>Only keys that resolved are cached, by their SHA-256 (never the key), for at most the TTL
 *       (default 60 s): a revocation announcement that is lost (Redis down at that moment) is still
 *       honoured within the TTL. Unknown keys are always asked, so a key just created works at once.</li>
 *   <li>{@link #announceRevoked} forgets the key on this node first, then publishes; the node that
 *       revokes never serves the key again. Whenever the listening connection (re)subscribes, after
 *       a Redis restart, the whole cache is dropped, since announcements may have been missed.</li>
 *   <li>A lookup failure of the store is not cached; at most 100,000 keys are held (beyond, the cache
 *       starts again empty).</li>
 * </ul>
 *
 * Thread role: any thread; lookups of cached keys complete at once, without I/O, and the others
 * complete as the wrapped store's do. Ownership: {@link #close} closes its Redis connections, not the
 * store it wraps. Redis commands time out after {@link RedisRateLimiter#DEFAULT_TIMEOUT}.
 */
public final class CachingApiKeyStore implements ApiKeyStore, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CachingApiKeyStore.class.getName());

    /** The default channel revocations are announced on: {@value}; each message is a key id. */
    public static final String DEFAULT_CHANNEL = "bastion:keys:revoked";
    /** Default longest time a key is served from the cache: 60 s. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
    private static final int DEFAULT_MAX_ENTRIES = 100_000;

    private record Entry(ApiPrincipal principal, long expiresAtNanos) {
    }

    private final ApiKeyStore store;
    private final long ttlNanos;
    private final int maxEntries;
    private final String channel;
    private final RedisClient client;
    private final StatefulRedisPubSubConnection<String, String> listening;
    private final StatefulRedisConnection<String, String> publishing;
    private final ConcurrentMap<String, Entry> byHash = new ConcurrentHashMap<>();
    /**
     * Moves on with every revocation and every drop of the cache: a lookup that began before one does not
     * put its (maybe revoked) answer in the cache.
     */
    private final AtomicLong generation = new AtomicLong();

    private CachingApiKeyStore(ApiKeyStore store, Duration ttl, int maxEntries, String channel, RedisClient client) {
        this.store = store;
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
        this.channel = channel;
        this.client = client;
        this.publishing = client.connect();
        this.listening = client.connectPubSub();
        CountDownLatch subscribed = new CountDownLatch(1);
        listening.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String keyId) {
                if (channel.equals(from)) {
                    forget(keyId);
                }
            }

            @Override
            public void subscribed(String to, long count) {
                // the first subscription, or one after a reconnection: announcements may have been missed
                generation.incrementAndGet();
                byHash.clear();
                subscribed.countDown();
            }
        });
        listening.sync().subscribe(channel);
        // the listener hears of the subscription on Lettuce's thread, maybe after subscribe() returned: wait
        // for it, so that its reset of the cache comes before the first lookup rather than racing it
        try {
            if (!subscribed.await(RedisRateLimiter.DEFAULT_TIMEOUT.toMillis() * 4, TimeUnit.MILLISECONDS)) {
                throw new RedisConnectionException("no confirmation of the subscription to " + channel);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisConnectionException("interrupted while subscribing to " + channel, e);
        }
    }

    /**
     * A cache with the default TTL and channel; see {@link #connect(ApiKeyStore, String, Duration, String)}.
     *
     * @param store    the shared key store to ask on a miss; not owned
     * @param redisUri the Redis to listen on, {@code redis://host:port}
     * @return the connected cache, which the caller closes
     */
    public static CachingApiKeyStore connect(ApiKeyStore store, String redisUri) {
        return connect(store, redisUri, DEFAULT_TTL, DEFAULT_CHANNEL);
    }

    /**
     * Connects (blocking, once, at start-up) and subscribes to the revocation channel.
     *
     * @param store    the shared key store to ask on a miss; not owned
     * @param redisUri the Redis to listen on, {@code redis://host:port}
     * @param ttl      the longest time a key is served from the cache, positive
     * @param channel  the revocation channel, the same on every node
     * @return the connected cache, which the caller closes
     * @throws IllegalArgumentException when the TTL is not positive
     * @throws io.lettuce.core.RedisConnectionException when Redis cannot be reached
     */
    public static CachingApiKeyStore connect(ApiKeyStore store, String redisUri, Duration ttl, String channel) {
        Objects.requireNonNull(store, "store");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl: must be positive, got " + ttl);
        }
        RedisURI uri = RedisURI.create(Objects.requireNonNull(redisUri, "redisUri"));
        uri.setTimeout(RedisRateLimiter.DEFAULT_TIMEOUT);
        RedisClient client = RedisClient.create(uri);
        try {
            return new CachingApiKeyStore(store, ttl, DEFAULT_MAX_ENTRIES, Objects.requireNonNull(channel, "channel"), client);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    @Override
    public CompletionStage<Optional<ApiPrincipal>> authenticate(String presentedKey) {
        if (presentedKey == null || !presentedKey.startsWith(ApiKeyHash.KEY_PREFIX)) {
            return store.authenticate(presentedKey);
        }
        String hash = ApiKeyHash.of(presentedKey).toHex();
        Entry cached = byHash.get(hash);
        long now = System.nanoTime();
        if (cached != null && now - cached.expiresAtNanos < 0) {
            return CompletableFuture.completedFuture(Optional.of(cached.principal));
        }
        long asked = generation.get();
        return store.authenticate(presentedKey).thenApply(principal -> {
            if (principal.isPresent() && generation.get() == asked) {
                if (byHash.size() >= maxEntries) {
                    byHash.clear();
                }
                Entry entry = new Entry(principal.get(), System.nanoTime() + ttlNanos);
                byHash.put(hash, entry);
                // a revocation between the check above and the put: it raised the generation before it
                // swept the cache, so either its sweep removed this entry or this check sees the new generation
                if (generation.get() != asked) {
                    byHash.remove(hash, entry);
                }
            } else if (cached != null) {
                byHash.remove(hash, cached);
            }
            return principal;
        });
    }

    /**
     * A key was revoked in the store: forgets it here, then tells every node. Call it after the store's
     * revocation. Blocking (a publish), on the administration path. A publish that fails is logged, not
     * thrown: the other nodes then forget the key within the TTL.
     *
     * @param keyId the revoked key's public id
     */
    public void announceRevoked(String keyId) {
        forget(keyId);
        try {
            publishing.sync().publish(channel, keyId);
        } catch (RuntimeException e) {
            // the other nodes drop it within the TTL, or at their resubscription
            LOG.log(Level.WARNING, "could not announce the revocation of key " + keyId + "; other nodes forget it within "
                    + Duration.ofNanos(ttlNanos).toSeconds() + " s", e);
        }
    }

    private void forget(String keyId) {
        generation.incrementAndGet();
        byHash.values().removeIf(entry -> entry.principal.keyId().equals(keyId));
    }

    /** Closes the Redis connections and the client; the wrapped store stays open. */
    @Override
    public void close() {
        listening.close();
        publishing.close();
        client.shutdown();
    }
}
