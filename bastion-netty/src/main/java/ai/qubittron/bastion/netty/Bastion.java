package ai.qubittron.bastion.netty;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.core.scheduler.Scheduler;
import ai.qubittron.bastion.core.scheduler.SchedulerConfig;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.netty.internal.Admission;
import ai.qubittron.bastion.netty.internal.Drain;
import ai.qubittron.bastion.netty.internal.GatewayContext;
import ai.qubittron.bastion.netty.internal.GatewayMeters;
import ai.qubittron.bastion.netty.internal.GatewayPipeline;
import ai.qubittron.bastion.netty.internal.LoadProbe;
import ai.qubittron.bastion.netty.internal.Mount;
import ai.qubittron.bastion.netty.internal.RedirectPipeline;
import ai.qubittron.bastion.netty.internal.Tls;
import ai.qubittron.bastion.netty.internal.Transport;
import ai.qubittron.bastion.netty.internal.UpstreamWorker;
import ai.qubittron.bastion.netty.internal.UsageRecorder;
import ai.qubittron.bastion.netty.usage.KeyLoad;
import ai.qubittron.bastion.netty.usage.KeyUsage;
import ai.qubittron.bastion.netty.usage.ModelLatency;
import ai.qubittron.bastion.spi.SpiLoader;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.limit.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible LLM API gateway, embeddable: build one, {@link #start()} it, {@link #close()} it.
 *
 * <pre>{@code
 * try (Bastion gateway = Bastion.builder()
 *         .port(8080)
 *         .keyStore(keys)
 *         .worker("gpt-oss-120b", URI.create("http://10.0.0.7:8000"))
 *         .build()
 *         .start()) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. The gateway runs on its own event loops ({@link Builder#ioThreads(int)}); each
 * client connection, and the upstream connections that serve it, stay on one loop. One more thread
 * accepts connections and hands each to a loop, so that loops busy relaying never leave clients
 * waiting in the kernel's accept queue.
 *
 * <p>With a {@link Builder#meterRegistry(MeterRegistry) meter registry}, the gateway's meters are in it:
 * request meters from the first request on, and each worker's gauges from {@link #start()} (or
 * {@link #addWorker}) until {@link #removeWorker} or {@link #close()}.
 *
 * <p>What the node saw of its traffic is kept in memory, per node, for the admin API: settled usage per
 * key, model and minute for the last hour ({@link #usage(int)}), each key's use of its rate limits this
 * minute ({@link #keyLoad()}), when each key was last used ({@link #lastUsed(String)}) and each model's
 * TTFT percentiles and throughput over the last 10 seconds ({@link #modelLatency()}). Recording it never
 * blocks a relay and takes no lock; memory is bounded (see each method).
 *
 * <p>Ownership: the gateway closes only what it made: its listeners, its connections, its own event
 * loops. It never closes the key store, rate limiter or ledger it was given (close a
 * {@code RedisRateLimiter}, {@code PostgresBackend} or {@code CachingApiKeyStore} after the gateway), the
 * meter registry, or a host's event loops. The {@link Builder#tiers tier} and {@link Builder#prices price}
 * tables are kept by reference and read on every request: changing them changes the running gateway
 * (that is how the admin API does it). Its settings are in {@link #config()}, immutable.
 *
 * <p>{@link #start()} and {@link #close()} block (a bind; a drain): call them from the application's
 * threads, never from an event loop, least of all a host's loop serving the gateway.
 */
public final class Bastion implements AutoCloseable {

    private final BastionConfig config;
    /** Built from the configuration's PEM files; {@code null} for plain HTTP. */
    private final SslContext sslContext;
    /** A host's event loops, or {@code null} for the gateway's own. */
    private final EventLoopGroup sharedAccept;
    private final EventLoopGroup sharedIo;
    private final GatewayContext context;
    private EventLoopGroup group;
    /** Accepts connections on a thread of its own: relaying streams on the I/O loops must not starve accepting. */
    private EventLoopGroup acceptGroup;
    private Channel server;
    /** The plain-HTTP listener that redirects to HTTPS, when TLS is on and it was asked for. */
    private Channel redirectServer;
    private EventLoopGroup probeGroup;
    private LoadProbe probe;
    /** Turns the usage recorder's latency window every second, off the event loops. */
    private ScheduledExecutorService usageClock;
    private boolean started;

    private Bastion(BastionConfig config, SslContext sslContext, EventLoopGroup sharedAccept, EventLoopGroup sharedIo,
                    GatewayContext context) {
        this.config = config;
        this.sslContext = sslContext;
        this.sharedAccept = sharedAccept;
        this.sharedIo = sharedIo;
        this.context = context;
    }

    /** {@return the settings it was built with, checked and immutable} */
    public BastionConfig config() {
        return config;
    }

    /**
     * Connections the kernel may hold completed for the gateway before it accepts them: 4,096 (Linux caps
     * it at {@code net.core.somaxconn}, 4,096 by default). With 1,024, clients opening a thousand streams a
     * second at a gateway busy relaying thousands more overflowed the queue, and the connections the
     * kernel then dropped were reset at their first request.
     */
    static final int ACCEPT_BACKLOG = 4096;

    /** {@return a builder with every default (see each setter)} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the listening socket (unless {@link Builder#listen(boolean) listen(false)}), starts the load
     * probe, and starts serving. Blocks until bound; not on an event loop.
     *
     * @return this gateway, for chaining
     * @throws IllegalStateException when it was already started, or the address cannot be bound
     */
    public synchronized Bastion start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        context.stopDraining();
        Transport transport = sharedIo != null ? Transport.of(sharedIo) : Transport.best();
        group = sharedIo != null ? sharedIo : transport.newGroup(config.ioThreads(), "bastion-io");
        acceptGroup = sharedAccept != null ? sharedAccept
                : sharedIo != null ? sharedIo : transport.newGroup(1, "bastion-accept");
        if (!config.listen()) {
            // mounted in a host's pipeline (see mount): the host's listener and loops serve it
            startProbe(transport);
            startUsageClock();
            return this;
        }
        try {
            server = new ServerBootstrap()
                    .group(acceptGroup, group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 256 * 1024))
                    .childHandler(new GatewayPipeline(context, sslContext))
                    .bind(config.host(), config.port())
                    .syncUninterruptibly()
                    .channel();
            if (config.httpRedirectPort() >= 0) {
                Channel https = server;
                redirectServer = new ServerBootstrap()
                        .group(acceptGroup, group)
                        .channel(transport.serverChannel())
                        .option(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childHandler(new RedirectPipeline(config.host(),
                                () -> ((InetSocketAddress) https.localAddress()).getPort()))
                        .bind(config.host(), config.httpRedirectPort())
                        .syncUninterruptibly()
                        .channel();
            }
        } catch (RuntimeException e) {
            if (server != null) {
                server.close().syncUninterruptibly();
            }
            shutDownOwnGroups(0);
            group = null;
            acceptGroup = null;
            started = false;
            int port = server == null ? config.port() : config.httpRedirectPort();
            server = null;
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + port + ": " + e.getMessage(), e);
        }
        startProbe(transport);
        startUsageClock();
        return this;
    }

    private void startUsageClock() {
        usageClock = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bastion-usage-clock");
            t.setDaemon(true);
            return t;
        });
        UsageRecorder usage = context.usage();
        usageClock.scheduleAtFixedRate(usage::rotate, 1, 1, TimeUnit.SECONDS);
    }

    private void startProbe(Transport transport) {
        if (config.loadProbeInterval().toNanos() > 0) {
            // a thread of its own: reading workers' metrics must never delay a relay
            probeGroup = Transport.best().newGroup(1, "bastion-probe");
            probe = new LoadProbe(probeGroup.next(), transport, context.scheduler(), config.loadProbeInterval().toNanos(),
                    config.overloadWaitingRequests(), config.overloadKvCacheUsage());
            probe.start();
        }
        for (ModelInfo model : context.catalog().models()) {
            for (WorkerState worker : context.scheduler().workers(model.id())) {
                context.meters().bindWorker(model.id(), worker);
            }
        }
    }

    /** Shuts down the event loop groups the gateway made (never a host's). */
    private void shutDownOwnGroups(long quietSeconds) {
        if (acceptGroup != null && acceptGroup != sharedAccept && acceptGroup != sharedIo) {
            acceptGroup.shutdownGracefully(0, Math.max(quietSeconds, 0), TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (group != null && group != sharedIo) {
            group.shutdownGracefully(0, Math.max(quietSeconds, 0), TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * A handler that mounts this gateway under {@code prefix} in a host's own Netty HTTP/1.1 pipeline:
     * add it right after the host's {@code HttpServerCodec}, before the host's handlers. Requests under
     * the prefix ({@code /llm/v1/chat/completions} for {@code /llm}) are served by the gateway, the
     * prefix taken off; every other request goes on to the host's handlers untouched. One new handler
     * per connection (it is not sharable); the gateway must be started, usually with
     * {@link Builder#listen(boolean) listen(false)}. Its upstream connections run on the host's event
     * loops. Made for an HTTP/1.1 pipeline, after its {@code HttpServerCodec}.
     *
     * @param prefix the path prefix: starts with {@code /}, does not end with one, at least one character
     *               after it ({@code /llm})
     * @return a new handler for one connection's pipeline
     * @throws IllegalStateException    when the gateway is not started
     * @throws IllegalArgumentException when the prefix is not of that form
     */
    public ChannelHandler mount(String prefix) {
        if (!started) {
            throw new IllegalStateException("not started: call start() (with listen(false) for a mounted gateway) first");
        }
        return new Mount(context, prefix);
    }

    /**
     * The bound address; the port is the real one when {@link Builder#port(int)} was 0.
     *
     * @return the listener's address
     * @throws IllegalStateException when not started, or built with {@code listen(false)} (no listener)
     */
    public InetSocketAddress localAddress() {
        Channel ch = server;
        if (ch == null) {
            throw new IllegalStateException("not started");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /**
     * {@return the bound port}
     *
     * @throws IllegalStateException as {@link #localAddress()}
     */
    public int port() {
        return localAddress().getPort();
    }

    /** {@return the base URL clients use, e.g. {@code http://127.0.0.1:8080/v1} ({@code https://} with TLS)} */
    public String baseUrl() {
        return (sslContext != null ? "https://" : "http://") + config.host() + ":" + port() + "/v1";
    }

    /** {@return whether the listener speaks TLS (HTTPS, with HTTP/2 and HTTP/1.1 by ALPN)} */
    public boolean tls() {
        return sslContext != null;
    }

    /**
     * How TLS is served, e.g. {@code "TLSv1.3/TLSv1.2 on OPENSSL"} (BoringSSL through netty-tcnative) or
     * {@code "… on JDK"} (its native library could not load); {@code null} without TLS.
     *
     * @return the protocols and the provider, or {@code null}
     */
    public String tlsDescription() {
        return sslContext == null ? null : String.join("/", Tls.PROTOCOLS) + " on " + Tls.provider();
    }

    /**
     * The bound port of the plain-HTTP listener that redirects to HTTPS ({@link Builder#httpRedirectPort}).
     *
     * @return the port
     * @throws IllegalStateException when there is none, or the gateway is not started
     */
    public int redirectPort() {
        Channel ch = redirectServer;
        if (ch == null) {
            throw new IllegalStateException(config.httpRedirectPort() < 0 ? "no redirect listener was configured" : "not started");
        }
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    /**
     * Adds an upstream worker for a model (its id or an alias) while the gateway runs: new requests may
     * go to it at once. Its address is resolved here, on the calling thread.
     *
     * @param model   the model's catalog id or an alias
     * @param baseUri the worker's base URI, {@code http://host:port}
     * @throws IllegalArgumentException when the model is not in the catalog, the URI is not usable, or
     *                                  the model already has this worker
     */
    public void addWorker(String model, URI baseUri) {
        UpstreamWorker worker = UpstreamWorker.of(baseUri);
        String id = canonical(model);
        synchronized (this) {
            // one at a time, and ordered with start() and close(), which bind and unbind every worker:
            // a worker removed and added again under the same name must end with its own gauges
            WorkerState state = context.scheduler().addWorker(id, worker.uri().toString(), worker);
            if (started) {
                context.meters().bindWorker(id, state);
            }
        }
    }

    /**
     * Stops sending new requests to a worker; the requests it is serving finish normally. Its gauges stay
     * until {@link #removeWorker}.
     *
     * @param model   the model's catalog id or an alias
     * @param baseUri the worker's base URI, as it was added
     * @return {@code false} when the model has no such worker
     */
    public boolean drainWorker(String model, URI baseUri) {
        String id = canonical(model);
        WorkerState worker = find(id, baseUri);
        return worker != null && context.scheduler().drain(id, worker);
    }

    /**
     * Takes a worker out (draining it first); requests it is serving finish on their connections. Its
     * gauges leave the meter registry.
     *
     * @param model   the model's catalog id or an alias
     * @param baseUri the worker's base URI, as it was added
     * @return {@code false} when the model has no such worker
     */
    public boolean removeWorker(String model, URI baseUri) {
        String id = canonical(model);
        synchronized (this) {
            WorkerState worker = find(id, baseUri);
            if (worker == null || !context.scheduler().remove(id, worker)) {
                return false;
            }
            context.meters().unbindWorker(worker);
            return true;
        }
    }

    /**
     * The live scheduling state of a model's workers (its id or an alias): load counters, latency
     * estimates, circuit, overload flag. A snapshot of the list; each state is live.
     *
     * @param model the model's catalog id or an alias
     * @return its workers, in the order they were added
     * @throws IllegalArgumentException when the model is not in the catalog
     */
    public List<WorkerState> workers(String model) {
        return context.scheduler().workers(canonical(model));
    }

    /**
     * How many requests a worker is serving now: wait for 0 after a drain.
     *
     * @param model   the model's catalog id or an alias
     * @param baseUri the worker's base URI
     * @return its requests in flight, 0 for an unknown worker
     */
    public int inFlight(String model, URI baseUri) {
        WorkerState worker = find(canonical(model), baseUri);
        return worker == null ? 0 : worker.inFlight();
    }

    /**
     * What this node settled in the last {@code minutes} minutes, per key, model and minute: requests,
     * tokens billed and micro-dollars charged (0 without a ledger). Oldest minute first, then by key id
     * and model. A minute holds at most 10,000 keys and key × model pairs; the rest of it is summed in an
     * entry whose key, account and model are {@link KeyUsage#OTHER}. Per node and in memory: another node's
     * traffic is not here, and a restart forgets it.
     *
     * @param minutes how many minutes back, the current one included: 1 to 60
     * @return an immutable snapshot
     * @throws IllegalArgumentException when {@code minutes} is out of range
     */
    public List<KeyUsage> usage(int minutes) {
        return context.usage().usage(minutes);
    }

    /**
     * Each key's use of its rate limits on this node in the current minute: the requests the rate limiter
     * admitted (every request, without one) and the tokens they were admitted for. By key id; per node.
     *
     * @return an immutable snapshot
     */
    public List<KeyLoad> keyLoad() {
        return context.usage().keyLoad();
    }

    /**
     * When this node last authenticated a key, to the second; per node and in memory (for at most
     * 100,000 keys).
     *
     * @param keyId the key's public id
     * @return the time, or empty when this node has not seen the key since it started
     */
    public Optional<Instant> lastUsed(String keyId) {
        return context.usage().lastUsed(keyId);
    }

    /**
     * Each model's time to first token (p50, p99) and output tokens per second over the last 10 seconds on
     * this node (the window moves each second): streams from the whole request to the first token
     * relayed, as {@code bastion.ttft}; non-streamed requests to the response's first byte. By model id;
     * a model that never had a request is absent.
     *
     * @return an immutable snapshot
     */
    public List<ModelLatency> modelLatency() {
        return context.usage().modelLatency();
    }

    private String canonical(String model) {
        ModelInfo info = context.catalog().find(model);
        if (info == null) {
            throw new IllegalArgumentException("model: '" + model + "' is not in the catalog");
        }
        return info.id();
    }

    private WorkerState find(String modelId, URI baseUri) {
        String name = UpstreamWorker.of(baseUri).uri().toString();
        for (WorkerState worker : context.scheduler().workers(modelId)) {
            if (worker.name().equals(name)) {
                return worker;
            }
        }
        return null;
    }

    /**
     * Stops gracefully, draining for at most {@link Builder#drainTimeout} (default 10 s): see
     * {@link #close(Duration)}.
     */
    @Override
    public void close() {
        close(config.drainTimeout());
    }

    /**
     * Stops gracefully: stops accepting, closes idle connections at once and lets requests in flight,
     * streams included, run to their end for at most {@code drain}; whatever is still running then ends
     * with 503 {@code service_unavailable} or, for a stream already begun, a final
     * {@code data: {"error":…}} event. Each request is settled exactly once either way (billed for what
     * was delivered). Then it closes every connection and stops the event loops; the workers' gauges
     * leave the meter registry, the request meters stay (with their totals). Blocks until done;
     * idempotent.
     *
     * @param drain how long requests in flight may run on; zero ends them at once
     * @return whether every request finished within the drain (none was cut)
     */
    public synchronized boolean close(Duration drain) {
        Objects.requireNonNull(drain, "drain");
        if (!started) {
            return true;
        }
        started = false;
        if (redirectServer != null) {
            redirectServer.close().syncUninterruptibly();
            redirectServer = null;
        }
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        boolean clean = Drain.run(context, drain);
        context.meters().unbindWorkers();
        if (usageClock != null) {
            usageClock.shutdownNow();
            usageClock = null;
        }
        if (probe != null) {
            probe.stop();
            probe = null;
            probeGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            probeGroup = null;
        }
        shutDownOwnGroups(2);
        acceptGroup = null;
        group = null;
        server = null;
        return clean;
    }

    /**
     * Configures a {@link Bastion}. Setters validate at once and throw {@link IllegalArgumentException}
     * naming the field and the bad value. Not thread-safe.
     */
    public static final class Builder {
        /** Default listening address: loopback only, so an embedded gateway is not exposed by accident. */
        public static final String DEFAULT_HOST = "127.0.0.1";
        /** Default port. */
        public static final int DEFAULT_PORT = 8080;
        /** Default largest request body: 32 MiB. */
        public static final int DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
        /**
         * Default largest upload (a transcription's whole {@code multipart/form-data} body): 25 MiB, 26,214,400
         * bytes, the limit OpenAI's audio endpoints apply.
         */
        public static final long DEFAULT_MAX_UPLOAD_BYTES = 25L * 1024 * 1024;
        /** Default time allowed to connect to an upstream worker: 5 s. */
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
        /** Default idle keep-alive connections kept per worker and event loop: 64. */
        public static final int DEFAULT_MAX_IDLE_PER_WORKER = 64;
        /**
         * Default longest silence of an upstream connection: 5 minutes. A non-streamed answer arrives
         * only once the whole output is generated, so this must exceed the longest generation.
         */
        public static final Duration DEFAULT_UPSTREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);
        /** Default longest wait for the key store, the rate limiter or the ledger before a request gets 503: 2 s. */
        public static final Duration DEFAULT_ADMISSION_TIMEOUT = Duration.ofSeconds(2);
        /** Default longest wait of a streamed request for its worker's response head: 30 s. */
        public static final Duration DEFAULT_RESPONSE_HEAD_TIMEOUT = Duration.ofSeconds(30);
        /** Default longest time from the first byte of a client's request to the whole request: 60 s (as nginx's). */
        public static final Duration DEFAULT_REQUEST_READ_TIMEOUT = Duration.ofSeconds(60);
        /** Default longest wait of a kept-alive client connection for its next request: 75 s (as nginx's). */
        public static final Duration DEFAULT_CLIENT_IDLE_TIMEOUT = Duration.ofSeconds(75);
        /** Default longest wait for a worker while all of a model's workers are saturated: 5 s. */
        public static final Duration DEFAULT_SATURATION_WAIT = Duration.ofSeconds(5);
        /** Default interval of the scrape of each worker's {@code /metrics}: 100 ms. */
        public static final Duration DEFAULT_LOAD_PROBE_INTERVAL = Duration.ofMillis(100);
        /** Default longest time {@link Bastion#close()} lets requests in flight finish: 10 s. */
        public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);
        /** Default queued requests ({@code vllm:num_requests_waiting}) from which a worker is overloaded: 64. */
        public static final long DEFAULT_OVERLOAD_WAITING_REQUESTS = 64;
        /** Default KV-cache usage from which a worker with a queue is overloaded: 0.99. */
        public static final double DEFAULT_OVERLOAD_KV_CACHE_USAGE = 0.99;
        /** Default output limit of a request that sets none (imposed upstream when a ledger meters it): 4096. */
        public static final int DEFAULT_MAX_OUTPUT_TOKENS = 4096;

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int ioThreads = Runtime.getRuntime().availableProcessors();
        private ModelCatalog catalog = ModelCatalog.defaults();
        private ApiKeyStore keyStore;
        private final Map<String, List<URI>> workers = new LinkedHashMap<>();
        private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
        private long maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private EventLoopGroup sharedAccept;
        private EventLoopGroup sharedIo;
        private boolean listen = true;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private int maxIdlePerWorker = DEFAULT_MAX_IDLE_PER_WORKER;
        private Duration upstreamIdleTimeout = DEFAULT_UPSTREAM_IDLE_TIMEOUT;
        private Duration responseHeadTimeout = DEFAULT_RESPONSE_HEAD_TIMEOUT;
        private Duration saturationWait = DEFAULT_SATURATION_WAIT;
        private Duration requestReadTimeout = DEFAULT_REQUEST_READ_TIMEOUT;
        private Duration clientIdleTimeout = DEFAULT_CLIENT_IDLE_TIMEOUT;
        private int maxInFlightPerWorker = SchedulerConfig.DEFAULT_MAX_IN_FLIGHT_PER_WORKER;
        private Duration loadProbeInterval = DEFAULT_LOAD_PROBE_INTERVAL;
        private long overloadWaitingRequests = DEFAULT_OVERLOAD_WAITING_REQUESTS;
        private double overloadKvCacheUsage = DEFAULT_OVERLOAD_KV_CACHE_USAGE;
        private RateLimiter rateLimiter;
        private Ledger ledger;
        private boolean discovery = true;
        private TierTable tiers = new TierTable();
        private PriceBook prices = PriceBook.defaults();
        private Duration admissionTimeout = DEFAULT_ADMISSION_TIMEOUT;
        private int defaultMaxOutputTokens = DEFAULT_MAX_OUTPUT_TOKENS;
        private MeterRegistry meterRegistry;
        private Path tlsCertificateChain;
        private Path tlsPrivateKey;
        private int redirectPort = -1;

        private Builder() {
        }

        /**
         * The longest time from the first byte of a client's request to the whole request (head and body)
         * received; past it the connection closes, so that a client sending a byte now and then (a
         * slow-loris attack) holds nothing for longer; on HTTP/2, the stream is reset. Default 60 s.
         *
         * @return this builder
         */
        public Builder requestReadTimeout(Duration timeout) {
            this.requestReadTimeout = positive("requestReadTimeout", timeout);
            return this;
        }

        /**
         * The longest wait of a kept-alive client connection for its next request, with nothing in flight
         * (a request being answered, however long, is never cut by it); then it closes. An HTTP/2
         * connection closes (GOAWAY) once it has had no open stream for as long. Default 75 s.
         *
         * @return this builder
         */
        public Builder clientIdleTimeout(Duration timeout) {
            this.clientIdleTimeout = positive("clientIdleTimeout", timeout);
            return this;
        }

        /** {@code value}, when it is a positive duration; else an {@link IllegalArgumentException} naming the field. */
        private static Duration positive(String field, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(field + ": must be positive, got " + value);
            }
            return value;
        }

        /**
         * Serves HTTPS on {@link #port(int)}: TLS 1.3 and 1.2 with the certificate chain and private key in
         * these PEM files (the key PKCS#8, unencrypted), ALPN offering {@code h2} and {@code http/1.1}, on
         * BoringSSL ({@code netty-tcnative}) or, when its native library cannot load, the JDK's provider.
         * HTTP/2 streams are relayed, limited and metered as HTTP/1.1 requests are. The files are read by
         * {@link #build()}. Default: none (plain HTTP).
         *
         * @return this builder
         */
        public Builder tls(Path certificateChainPem, Path privateKeyPem) {
            this.tlsCertificateChain = Objects.requireNonNull(certificateChainPem, "certificateChainPem");
            this.tlsPrivateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            return this;
        }

        /**
         * With {@link #tls}, also listens for plain HTTP on this port (0: any free one), answering every
         * request {@code 308 Permanent Redirect} to the same path on the HTTPS port, without reading its
         * body or authenticating it. Default: no such listener.
         *
         * @return this builder
         */
        public Builder httpRedirectPort(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("httpRedirectPort: must be 0..65535, got " + port);
            }
            this.redirectPort = port;
            return this;
        }

        /**
         * The address to listen on; default {@value #DEFAULT_HOST}.
         *
         * @return this builder
         */
        public Builder host(String host) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host: must not be blank, got '" + host + "'");
            }
            this.host = host;
            return this;
        }

        /**
         * The port to listen on, 0 for an ephemeral one; default {@value #DEFAULT_PORT}.
         *
         * @return this builder
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port: must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Event loop threads of the gateway's own; default the number of processors, read when the builder
         * is made. Unused with {@link #eventLoopGroups host loops}.
         *
         * @return this builder
         */
        public Builder ioThreads(int ioThreads) {
            if (ioThreads < 1) {
                throw new IllegalArgumentException("ioThreads: must be >= 1, got " + ioThreads);
            }
            this.ioThreads = ioThreads;
            return this;
        }

        /**
         * The models served; default {@link ModelCatalog#defaults()}. Set it before
         * {@link #workerForAllModels}, which reads the catalog when it is called.
         *
         * @return this builder
         */
        public Builder catalog(ModelCatalog catalog) {
            this.catalog = Objects.requireNonNull(catalog, "catalog");
            return this;
        }

        /**
         * Where API keys are checked; default the one discovered with {@link java.util.ServiceLoader} (see
         * {@link #discovery}), else an empty {@link InMemoryApiKeyStore} that nothing outside the gateway can
         * add to: every request then gets 401. Its lookups are bounded by {@link #admissionTimeout}.
         *
         * @return this builder
         */
        public Builder keyStore(ApiKeyStore keyStore) {
            this.keyStore = Objects.requireNonNull(keyStore, "keyStore");
            return this;
        }

        /**
         * Adds an upstream worker for a model (its id or an alias). A model without workers is not
         * listed by {@code /v1/models} and its requests get 502. The model and the URI are checked by
         * {@link #build()}, which names a model the catalog does not have.
         *
         * @param model   the model's catalog id or an alias
         * @param baseUri the worker's base URI, {@code http://host:port}; the host is resolved once, at
         *                {@link #build()}
         *
         * @return this builder
         */
        public Builder worker(String model, URI baseUri) {
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("model: must not be blank, got '" + model + "'");
            }
            Objects.requireNonNull(baseUri, "baseUri");
            workers.computeIfAbsent(model, m -> new ArrayList<>()).add(baseUri);
            return this;
        }

        /**
         * Adds the same worker for every model of the catalog set so far (a server that serves them all, like
         * the simulator).
         *
         * @param baseUri the worker's base URI, {@code http://host:port}
         * @return this builder
         */
        public Builder workerForAllModels(URI baseUri) {
            for (ModelInfo model : catalog.models()) {
                worker(model.id(), baseUri);
            }
            return this;
        }

        /**
         * The largest upload accepted on {@code /v1/audio/transcriptions}, in bytes (the whole multipart body);
         * default 25 MiB. A larger one gets 413 {@code request_entity_too_large}: at once when its
         * {@code Content-Length} says so, else as soon as it crosses the limit. Uploads are relayed as they
         * arrive, so this bounds what a client may send, not what the gateway holds.
         *
         * @return this builder
         */
        public Builder maxUploadBytes(long maxUploadBytes) {
            if (maxUploadBytes < 1024) {
                throw new IllegalArgumentException("maxUploadBytes: must be >= 1024, got " + maxUploadBytes);
            }
            this.maxUploadBytes = maxUploadBytes;
            return this;
        }

        /**
         * Runs the gateway on a host's event loops instead of its own: {@code io} serves the connections
         * (and the upstream connections), {@code accept} accepts ({@code null}: {@code io} does). The
         * gateway never shuts them down; their transport (epoll or NIO) is the gateway's too.
         *
         * @return this builder
         */
        public Builder eventLoopGroups(EventLoopGroup accept, EventLoopGroup io) {
            this.sharedIo = Objects.requireNonNull(io, "io");
            this.sharedAccept = accept;
            return this;
        }

        /**
         * Whether {@link Bastion#start()} opens the gateway's own listener (default {@code true});
         * {@code false} for a gateway only {@link Bastion#mount mounted} in a host's pipeline.
         *
         * @return this builder
         */
        public Builder listen(boolean listen) {
            this.listen = listen;
            return this;
        }

        /**
         * How long {@link Bastion#close()} lets requests in flight (streams included) finish before it ends
         * them; default 10 s. Zero ends them at once.
         *
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout: must be >= 0, got " + timeout);
            }
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * The largest JSON request body accepted, in bytes; default 32 MiB. Larger bodies get 413.
         *
         * @return this builder
         */
        public Builder maxRequestBytes(int maxRequestBytes) {
            if (maxRequestBytes < 1024) {
                throw new IllegalArgumentException("maxRequestBytes: must be >= 1024, got " + maxRequestBytes);
            }
            this.maxRequestBytes = maxRequestBytes;
            return this;
        }

        /**
         * Time allowed to connect to a worker; default 5 s.
         *
         * @return this builder
         */
        public Builder connectTimeout(Duration connectTimeout) {
            if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()
                    || connectTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("connectTimeout: must be positive, got " + connectTimeout);
            }
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * Idle keep-alive connections kept per worker and event loop; default {@value #DEFAULT_MAX_IDLE_PER_WORKER}.
         *
         * @return this builder
         */
        public Builder maxIdleConnectionsPerWorker(int maxIdle) {
            if (maxIdle < 0) {
                throw new IllegalArgumentException("maxIdleConnectionsPerWorker: must be >= 0, got " + maxIdle);
            }
            this.maxIdlePerWorker = maxIdle;
            return this;
        }

        /**
         * The per-key rate limiter. Default: the highest-priority {@link RateLimiter} found by
         * {@link java.util.ServiceLoader} (see {@link #discovery(boolean)}), else none (no limits).
         *
         * @return this builder
         */
        public Builder rateLimiter(RateLimiter rateLimiter) {
            this.rateLimiter = Objects.requireNonNull(rateLimiter, "rateLimiter");
            return this;
        }

        /**
         * The prepaid-credit ledger. Default: the highest-priority {@link Ledger} found by
         * {@link java.util.ServiceLoader}, else none: requests are not metered against any credit.
         *
         * @return this builder
         */
        public Builder ledger(Ledger ledger) {
            this.ledger = Objects.requireNonNull(ledger, "ledger");
            return this;
        }

        /**
         * Whether SPI implementations are looked up with {@link java.util.ServiceLoader}; default {@code true}.
         *
         * @return this builder
         */
        public Builder discovery(boolean discovery) {
            this.discovery = discovery;
            return this;
        }

        /**
         * The rate limits of each tier; default a table where every tier has {@link TierTable#DEFAULT_LIMITS}.
         *
         * @return this builder
         */
        public Builder tiers(TierTable tiers) {
            this.tiers = Objects.requireNonNull(tiers, "tiers");
            return this;
        }

        /**
         * The price of each model; default {@link PriceBook#defaults()}.
         *
         * @return this builder
         */
        public Builder prices(PriceBook prices) {
            this.prices = Objects.requireNonNull(prices, "prices");
            return this;
        }

        /**
         * The longest wait for the key store, the rate limiter or the ledger; default
         * {@link #DEFAULT_ADMISSION_TIMEOUT} (2 s). Past it the request gets 503.
         *
         * @return this builder
         */
        public Builder admissionTimeout(Duration timeout) {
            this.admissionTimeout = positive("admissionTimeout", timeout);
            return this;
        }

        /**
         * The output limit of a request that sets none; default {@value #DEFAULT_MAX_OUTPUT_TOKENS}. With a
         * ledger, it is added to such requests upstream, so their reservation bounds their cost.
         *
         * @return this builder
         */
        public Builder defaultMaxOutputTokens(int tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("defaultMaxOutputTokens: must be >= 1, got " + tokens);
            }
            this.defaultMaxOutputTokens = tokens;
            return this;
        }

        /**
         * How long an upstream connection may carry no byte either way; default 5 minutes. A request
         * whose worker stays silent that long gets 502 (or, mid-stream, a final error event), and an
         * idle pooled connection that old is closed.
         *
         * @return this builder
         */
        public Builder upstreamIdleTimeout(Duration timeout) {
            this.upstreamIdleTimeout = positive("upstreamIdleTimeout", timeout);
            return this;
        }

        /**
         * How long a streamed request waits for its worker's response head (a streaming model server
         * answers it before the first token); default 30 s. Past it, the worker counts a failure and the
         * request is tried on another one. Non-streamed answers come whole, when generated: for them the
         * {@linkplain #upstreamIdleTimeout(Duration) idle timeout} is the bound.
         *
         * @return this builder
         */
        public Builder responseHeadTimeout(Duration timeout) {
            this.responseHeadTimeout = positive("responseHeadTimeout", timeout);
            return this;
        }

        /**
         * How long a request waits when every worker of its model is saturated (at its in-flight cap, or
         * reported overloaded by its metrics) before it gets 503 {@code service_unavailable} with
         * {@code Retry-After}; default 5 s. Zero answers 503 at once.
         *
         * @return this builder
         */
        public Builder saturationWait(Duration wait) {
            if (wait == null || wait.isNegative()) {
                throw new IllegalArgumentException("saturationWait: must be >= 0, got " + wait);
            }
            this.saturationWait = wait;
            return this;
        }

        /**
         * The most requests one worker may have in flight through this gateway for one model (which also
         * bounds the connections to it); default {@value SchedulerConfig#DEFAULT_MAX_IN_FLIGHT_PER_WORKER}. A
         * worker at the cap gets no new request for that model until one ends. The count is kept per model:
         * a server listed under several models can take the cap for each.
         *
         * @return this builder
         */
        public Builder maxInFlightPerWorker(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxInFlightPerWorker: must be >= 1, got " + max);
            }
            this.maxInFlightPerWorker = max;
            return this;
        }

        /**
         * How often each worker's Prometheus {@code /metrics} is read (vLLM's metric names); default
         * 100 ms; zero turns the scrape off. A worker whose metrics pass the
         * {@linkplain #overloadThresholds thresholds} gets no new request until they fall back; one whose
         * metrics cannot be read is not held back (its circuit breaker watches its health).
         *
         * @return this builder
         */
        public Builder loadProbe(Duration interval) {
            if (interval == null || interval.isNegative()) {
                throw new IllegalArgumentException("loadProbe: must be >= 0, got " + interval);
            }
            this.loadProbeInterval = interval;
            return this;
        }

        /**
         * When a scraped worker counts as overloaded: at least {@code waitingRequests} queued
         * ({@code vllm:num_requests_waiting}), or its KV cache at least {@code kvCacheUsage} full
         * ({@code vllm:kv_cache_usage_perc}) while requests queue. Defaults 64 and 0.99.
         *
         * @return this builder
         */
        public Builder overloadThresholds(long waitingRequests, double kvCacheUsage) {
            if (waitingRequests < 1) {
                throw new IllegalArgumentException("overloadThresholds: waitingRequests must be >= 1, got " + waitingRequests);
            }
            if (!(kvCacheUsage > 0 && kvCacheUsage <= 1)) {
                throw new IllegalArgumentException("overloadThresholds: kvCacheUsage must be in (0, 1], got " + kvCacheUsage);
            }
            this.overloadWaitingRequests = waitingRequests;
            this.overloadKvCacheUsage = kvCacheUsage;
            return this;
        }

        /**
         * Where the gateway's meters go; default none: no meter is registered and recording costs nothing.
         * Pass the application's registry (a Prometheus one, a composite…) to get, named in Micrometer's
         * dot notation ({@code bastion_…} in Prometheus):
         * <ul>
         *   <li>{@code bastion.requests} counter, tags {@code model}, {@code endpoint} ({@code chat.completions},
         *       {@code completions}, {@code responses}, {@code models}, {@code other}), {@code status}: every
         *       request, once, when it ends, with the status it was answered ({@code 499} when the client left
         *       before any answer). {@code model} is a catalog id, {@code none} when the request carried no
         *       model the gateway read, {@code unknown} when it named one the catalog does not have;</li>
         *   <li>{@code bastion.ttft} timer and {@code bastion.tokens.per.second} summary, tags {@code model},
         *       {@code endpoint}: streamed requests, time to the first relayed token, and output tokens per
         *       second after it for streams that ended normally (as in {@code x_metrics});</li>
         *   <li>{@code bastion.overhead} timer, tags {@code model}, {@code endpoint}: for each request relayed to
         *       a worker, the gateway's own time, from the whole request received to the request written to
         *       the upstream connection (authentication, admission, the pick, taking a connection, writing),
         *       less the time spent waiting for a saturated model's worker, establishing new upstream
         *       connections, and on workers that failed before the one that answered;</li>
         *   <li>{@code bastion.retries} counter, tags {@code model}, {@code reason} ({@code failover}: sent to
         *       another worker; {@code reconnect}: sent again on a fresh connection after a kept-alive one was
         *       found closed);</li>
         *   <li>per worker, tags {@code model}, {@code worker} (its base URI), from {@link Bastion#start()} or
         *       its addition until its removal or {@link Bastion#close()}: gauges {@code bastion.worker.in.flight},
         *       {@code bastion.worker.pending.prefill.tokens}, {@code bastion.worker.decoding},
         *       {@code bastion.worker.ttft.per.token} and {@code bastion.worker.itl} (seconds, peak-EWMA
         *       estimates), {@code bastion.worker.circuit} (0 closed, 1 open, 2 half-open), and the function
         *       counter {@code bastion.worker.ejections} (times its circuit opened).</li>
         * </ul>
         * The timers publish histogram buckets ({@code publishPercentileHistogram}) for Prometheus.
         *
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
            return this;
        }

        /**
         * Validates the whole configuration and creates the (not yet started) gateway, with its settings
         * as an immutable {@link BastionConfig}. May be called again: each gateway built shares the plugins,
         * the tier and price tables and the meter registry given to this builder.
         *
         * @return the gateway, not started
         * @throws IllegalArgumentException when a worker names a model the catalog does not have, or its
         *                                  URI is not usable; when the TLS files cannot be read or used; when
         *                                  a redirect port is set without TLS
         */
        public Bastion build() {
            if (redirectPort >= 0 && tlsCertificateChain == null) {
                throw new IllegalArgumentException("httpRedirectPort: only with tls (a redirect to HTTPS needs an HTTPS listener)");
            }
            SslContext sslContext = tlsCertificateChain == null ? null : Tls.serverContext(tlsCertificateChain, tlsPrivateKey);
            Scheduler scheduler = new Scheduler(SchedulerConfig.builder().maxInFlightPerWorker(maxInFlightPerWorker).build());
            Map<String, List<URI>> byModel = new LinkedHashMap<>();
            workers.forEach((name, uris) -> {
                ModelInfo model = catalog.find(name);
                if (model == null) {
                    throw new IllegalArgumentException("worker: the model '" + name + "' is not in the catalog");
                }
                for (URI uri : uris) {
                    UpstreamWorker worker = UpstreamWorker.of(uri);
                    scheduler.addWorker(model.id(), worker.uri().toString(), worker);
                    byModel.computeIfAbsent(model.id(), m -> new ArrayList<>()).add(uri);
                }
            });
            ClassLoader loader = Bastion.class.getClassLoader();
            ApiKeyStore keyStore = this.keyStore != null ? this.keyStore
                    : discovery ? SpiLoader.load(ApiKeyStore.class, loader).orElseGet(InMemoryApiKeyStore::new)
                    : new InMemoryApiKeyStore();
            RateLimiter limiter = rateLimiter != null || !discovery ? rateLimiter
                    : SpiLoader.load(RateLimiter.class, loader).orElse(null);
            Ledger credit = ledger != null || !discovery ? ledger : SpiLoader.load(Ledger.class, loader).orElse(null);
            Admission admission = new Admission(limiter, credit, tiers, prices, admissionTimeout.toMillis(),
                    defaultMaxOutputTokens, Admission.DEFAULT_MEDIA_PART_TOKENS);
            GatewayContext context = new GatewayContext(catalog, scheduler, keyStore, admission,
                    GatewayMeters.of(meterRegistry), Transport.best(), maxRequestBytes, maxUploadBytes,
                    (int) connectTimeout.toMillis(),
                    maxIdlePerWorker, upstreamIdleTimeout.toMillis(), responseHeadTimeout.toNanos(), saturationWait.toNanos(),
                    requestReadTimeout.toNanos(), clientIdleTimeout.toNanos());
            BastionConfig config = new BastionConfig(host, port, listen, ioThreads, catalog, byModel, maxRequestBytes,
                    maxUploadBytes, requestReadTimeout, clientIdleTimeout, connectTimeout, upstreamIdleTimeout,
                    responseHeadTimeout, admissionTimeout, saturationWait, drainTimeout, maxIdlePerWorker,
                    maxInFlightPerWorker, loadProbeInterval, overloadWaitingRequests, overloadKvCacheUsage,
                    defaultMaxOutputTokens, tlsCertificateChain, tlsPrivateKey, redirectPort);
            return new Bastion(config, sslContext, sharedAccept, sharedIo, context);
        }
    }
}
