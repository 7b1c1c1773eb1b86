package ai.qubittron.bastion.netty.admin;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.error.ErrorBodies;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.scheduler.CircuitState;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.netty.admin.dashboard.Dashboard;
import ai.qubittron.bastion.netty.internal.Transport;
import ai.qubittron.bastion.netty.usage.KeyLoad;
import ai.qubittron.bastion.netty.usage.KeyUsage;
import ai.qubittron.bastion.netty.usage.ModelLatency;
import ai.qubittron.bastion.spi.BackendUnavailableException;
import ai.qubittron.bastion.spi.auth.StoredKey;
import ai.qubittron.bastion.spi.limit.RateLimits;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The admin API: a separate HTTP listener (loopback by default) guarded by a bearer admin token, to
 * manage accounts, keys, credit, tiers and prices. JSON in and out; errors in the OpenAI shape.
 *
 * <pre>
 *   POST   /admin/v1/accounts                 {"id","tier","balance_micros"}     → 201 account
 *   GET    /admin/v1/accounts/{id}                                              → 200 account
 *   POST   /admin/v1/accounts/{id}/keys                                         → 201 {"id","key","account_id"}
 *   POST   /admin/v1/accounts/{id}/credit     {"amount_micros"}                 → 200 account
 *   DELETE /admin/v1/keys/{keyId}                                               → 204
 *   PUT    /admin/v1/tiers/{name}             {"requests_per_minute","tokens_per_minute"} → 200
 *   PUT    /admin/v1/prices/{model}           {"input_per_million_micros","output_per_million_micros"} → 200
 *   GET    /admin/v1/accounts                                                  → 200 {"data":[account…]} by id
 *   GET    /admin/v1/accounts/{id}/keys                                         → 200 {"data":[key…]} newest first
 *   GET    /admin/v1/keys                                                       → 200 {"data":[key…]} every account's
 *   GET    /admin/v1/tiers                                                      → 200 {"data":[{"name","requests_per_minute","tokens_per_minute"}]}
 *   GET    /admin/v1/prices                                                     → 200 {"data":[{"model","input_per_million_micros","output_per_million_micros"}]}
 *   GET    /admin/v1/usage?minutes=N                                            → 200 {"data":[usage…]} (N 1..60, default 60)
 *   GET    /admin/v1/limits                                                     → 200 {"data":[limit…]}
 *   GET    /admin/v1/workers                                                    → 200 {"data":[worker…],"models":[…],"at"}
 *   GET    /  and  /dashboard/…   the dashboard and its sign-in, without the token ({@link Dashboard})
 * </pre>
 * An account is {@code {"id","tier","balance_micros","reserved_micros","spent_micros"}}. A key is {@code
 * {"id","prefix","account_id","tier","created_at","last_used_at","revoked_at"}}: never the key itself; its
 * first 12 characters when it was created whole (else null); times in epoch seconds, null when not so.
 * Money is in micro-dollars.
 *
 * <p>The reads of traffic come from a {@link GatewayView} of this node's gateway, in memory and per node:
 * {@code last_used_at}; {@code usage}, what this node settled per key, model and minute
 * {@code {"minute","key_id","account_id","model","requests","input_tokens","output_tokens","spent_micros"}},
 * oldest first; {@code limits}, the keys whose admitted requests or tokens this minute are at least half
 * their tier's ({@code {"key_id","account_id","tier","requests","requests_per_minute","tokens",
 * "tokens_per_minute","ratio"}}, ratio = the larger of the two fractions, highest first); {@code workers},
 * each worker's live state ({@code {"model","worker","state","in_flight","queued","pending_prefill_tokens",
 * "decoding","ttft_seconds","tokens_per_second","circuit"}}, state {@code healthy}, {@code ejected} (circuit
 * open or half-open), {@code draining} or {@code overloaded}; {@code queued} the requests without a first
 * token yet; {@code ttft_seconds} what the scheduler predicts a {@value #TYPICAL_PROMPT_TOKENS}-token prompt
 * would wait for its first token on it now, {@link WorkerState#cost(long)}, queue included;
 * {@code tokens_per_second} 1 / its inter-token latency average) and each model's TTFT p50/p99 and output
 * tokens per second over the last 10 seconds. Without a view they answer empty lists.
 *
 * <p>With a {@link MetricsExposition}, {@code GET /metrics} serves it (Prometheus text) <b>without</b> the
 * admin token: a scraper should not need a credential that can create keys and move credit, and the
 * metrics hold no secret (they do name the models and the workers' addresses). The listener binds to
 * loopback by default; bind it elsewhere only behind a network that is trusted to read the metrics.
 *
 * <p>It also serves the {@link Dashboard} at {@code /dashboard/} (and {@code /} redirects there): signed in
 * with the admin token, its session cookie is accepted by the API in place of the bearer token, with the
 * session's CSRF token on every request that changes state. Every answer carries the dashboard's security
 * headers ({@code Cache-Control: no-store}, a Content-Security-Policy, {@code X-Frame-Options: DENY}).
 *
 * <p>Runs on one thread of its own, so a backend that blocks never stalls the gateway's event loops;
 * requests are answered one at a time. Bodies are at most 64 KiB (larger ones get 413). Ownership:
 * {@link #close} stops the listener and its thread; the backend and the metrics are the caller's.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AdminServer.class.getName());
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final String PREFIX = "/admin/v1/";
    /** The path of the metrics exposition, as Prometheus scrapes it by default. */
    public static final String METRICS_PATH = "/metrics";
    private static final int MAX_BODY_BYTES = 64 * 1024;
    /** What account ids and tier names may be made of. */
    private static final String NAME = "[A-Za-z0-9._:@-]{1,128}";

    /** The prompt size for which {@code /admin/v1/workers} gives each worker's {@code ttft_seconds}: 512 tokens. */
    public static final int TYPICAL_PROMPT_TOKENS = 512;
    /** The share of a tier's limit from which {@code /limits} lists a key: half. */
    private static final double NEAR_LIMIT = 0.5;

    private final AdminBackend backend;
    private final GatewayView view;
    private final byte[] token;
    private final MetricsExposition metrics;
    private final EventLoopGroup group;
    private final Dashboard dashboard;
    private Channel server;

    private AdminServer(AdminBackend backend, GatewayView view, String token, MetricsExposition metrics,
                        EventLoopGroup group) {
        this.backend = backend;
        this.view = view;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.metrics = metrics;
        this.group = group;
        // the listener is plain HTTP: no Secure cookie (a TLS listener would pass true)
        this.dashboard = new Dashboard(token, false);
    }

    /**
     * Starts the admin API, without {@code /metrics}; see
     * {@link #start(String, int, String, AdminBackend, MetricsExposition)}.
     *
     * @param host    the address to listen on
     * @param port    the port, 0 for any free one
     * @param token   the admin token clients must send as {@code Authorization: Bearer <token>}; at least 16
     *                characters
     * @param backend what the API acts on
     * @return the started server
     */
    public static AdminServer start(String host, int port, String token, AdminBackend backend) {
        return start(host, port, token, backend, null);
    }

    /**
     * Starts the admin API, and {@code GET /metrics} (not guarded by the token, see the class comment).
     * Binds before it returns, on a thread of its own.
     *
     * @param host    the address to listen on; loopback unless the network is trusted
     * @param port    the port, 0 for any free one
     * @param token   the admin token clients must send as {@code Authorization: Bearer <token>}; at least 16
     *                characters
     * @param backend what the API acts on; not closed by the server
     * @param metrics what {@code GET /metrics} serves, or {@code null} for no such path
     * @return the started server, which the caller closes
     * @throws IllegalArgumentException when the token is shorter than 16 characters
     * @throws IllegalStateException when the address cannot be bound
     */
    public static AdminServer start(String host, int port, String token, AdminBackend backend, MetricsExposition metrics) {
        return start(host, port, token, backend, metrics, null);
    }

    /**
     * Starts the admin API with {@code GET /metrics} and the reads of a gateway's traffic ({@code /usage},
     * {@code /limits}, {@code /workers}, keys' {@code last_used_at}); otherwise as
     * {@link #start(String, int, String, AdminBackend, MetricsExposition)}.
     *
     * @param host    the address to listen on; loopback unless the network is trusted
     * @param port    the port, 0 for any free one
     * @param token   the admin token, at least 16 characters
     * @param backend what the API acts on; not closed by the server
     * @param metrics what {@code GET /metrics} serves, or {@code null} for no such path
     * @param view    this node's gateway ({@link GatewayView#of}), or {@code null}: those reads answer empty
     * @return the started server, which the caller closes
     * @throws IllegalArgumentException when the token is shorter than 16 characters
     * @throws IllegalStateException when the address cannot be bound
     */
    public static AdminServer start(String host, int port, String token, AdminBackend backend, MetricsExposition metrics,
                                    GatewayView view) {
        Objects.requireNonNull(backend, "backend");
        if (token == null || token.length() < 16) {
            throw new IllegalArgumentException("token: the admin token must have at least 16 characters");
        }
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "bastion-admin");
        AdminServer admin = new AdminServer(backend, view != null ? view : GatewayView.NONE, token, metrics, group);
        try {
            admin.server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline()
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
                                    .addLast(admin.new AdminHandler());
                        }
                    })
                    .bind(host, port).syncUninterruptibly().channel();
            return admin;
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** {@return the bound port} */
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Stops listening and shuts the server's thread down; blocks until it has stopped (up to about 2 s). */
    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers one admin request at a time per connection; may block (its own thread). */
    private final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            try {
                response = answer(request, ctx.channel().remoteAddress());
            } catch (AdminError e) {
                response = error(e.status, e.kind, e.getMessage());
            } catch (NoSuchElementException e) {
                response = error(HttpResponseStatus.NOT_FOUND, ErrorKind.NOT_FOUND, e.getMessage());
            } catch (BackendUnavailableException e) {
                // a shared store is down: retry later, not a conflict
                LOG.log(Level.WARNING, "admin request failed: " + e.getMessage());
                response = error(HttpResponseStatus.SERVICE_UNAVAILABLE, ErrorKind.SERVICE_UNAVAILABLE,
                        "A backend of the gateway is unavailable; retry the request.");
            } catch (IllegalStateException e) {
                response = error(HttpResponseStatus.CONFLICT, ErrorKind.INVALID_REQUEST, e.getMessage());
            } catch (IllegalArgumentException e) {
                response = error(HttpResponseStatus.BAD_REQUEST, ErrorKind.INVALID_REQUEST, e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "admin request failed", e);
                response = error(HttpResponseStatus.INTERNAL_SERVER_ERROR, ErrorKind.INTERNAL_ERROR, "The admin request failed.");
            }
            Dashboard.secureHeaders(response.headers());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private FullHttpResponse answer(FullHttpRequest request, SocketAddress remote) {
        if (request.decoderResult().isFailure()) {
            throw new IllegalArgumentException("The HTTP request is malformed.");
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (metrics != null && path.equals(METRICS_PATH)) {
            return metrics(request.method());
        }
        FullHttpResponse page = dashboard.answer(request, path, remote);
        if (page != null) {
            return page;
        }
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        // the bearer token when one is given, else the dashboard's session cookie
        Dashboard.Access access = authorization != null
                ? (authorized(authorization) ? Dashboard.Access.ALLOWED : Dashboard.Access.NO_SESSION)
                : dashboard.access(request);
        if (access == Dashboard.Access.CSRF_REQUIRED) {
            return Dashboard.csrfRequired();
        }
        if (access != Dashboard.Access.ALLOWED) {
            throw new AdminError(HttpResponseStatus.UNAUTHORIZED, ErrorKind.INVALID_API_KEY, "Invalid admin token");
        }
        if (!path.startsWith(PREFIX)) {
            throw notFound(request.method(), path);
        }
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        HttpMethod method = request.method();
        switch (parts[0]) {
            case "accounts" -> {
                if (parts.length == 1 && method.equals(HttpMethod.GET)) {
                    List<AdminBackend.AccountView> accounts = backend.accounts();
                    return list(g -> {
                        for (AdminBackend.AccountView account : accounts) {
                            object(g, account(account));
                        }
                    });
                }
                if (parts.length == 3 && parts[2].equals("keys") && method.equals(HttpMethod.GET)) {
                    return keys(backend.keys(parts[1]));
                }
                if (parts.length == 1 && method.equals(HttpMethod.POST)) {
                    Map<String, Object> body = body(request);
                    String id = text(body, "id");
                    String tier = body.containsKey("tier") ? text(body, "tier") : "default";
                    long balance = body.containsKey("balance_micros") ? amount(body, "balance_micros") : 0;
                    return json(HttpResponseStatus.CREATED, account(backend.createAccount(id, tier, balance)));
                }
                if (parts.length == 2 && method.equals(HttpMethod.GET)) {
                    return json(HttpResponseStatus.OK, account(backend.account(parts[1])
                            .orElseThrow(() -> new NoSuchElementException("no account '" + parts[1] + "'"))));
                }
                if (parts.length == 3 && parts[2].equals("keys") && method.equals(HttpMethod.POST)) {
                    AdminBackend.CreatedKey key = backend.createKey(parts[1]);
                    return json(HttpResponseStatus.CREATED, g -> {
                        g.writeStringField("id", key.id());
                        g.writeStringField("key", key.key());
                        g.writeStringField("account_id", key.accountId());
                    });
                }
                if (parts.length == 3 && parts[2].equals("credit") && method.equals(HttpMethod.POST)) {
                    long amount = amount(body(request), "amount_micros");
                    if (amount <= 0) {
                        throw new IllegalArgumentException("amount_micros: must be > 0, got " + amount);
                    }
                    return json(HttpResponseStatus.OK, account(backend.credit(parts[1], amount)));
                }
            }
            case "keys" -> {
                if (parts.length == 1 && method.equals(HttpMethod.GET)) {
                    return keys(backend.keys());
                }
                if (parts.length == 2 && method.equals(HttpMethod.DELETE)) {
                    if (!backend.revokeKey(parts[1])) {
                        throw new NoSuchElementException("no key '" + parts[1] + "'");
                    }
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
                    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                    return response;
                }
            }
            case "tiers" -> {
                if (parts.length == 1 && method.equals(HttpMethod.GET)) {
                    SortedMap<String, RateLimits> tiers = backend.tiers();
                    return list(g -> {
                        for (Map.Entry<String, RateLimits> tier : tiers.entrySet()) {
                            object(g, tier(tier.getKey(), tier.getValue()));
                        }
                    });
                }
                if (parts.length == 2 && method.equals(HttpMethod.PUT)) {
                    if (!parts[1].matches(NAME)) {
                        throw new IllegalArgumentException("tier: only letters, digits and . _ : @ - are allowed, up to 128");
                    }
                    Map<String, Object> body = body(request);
                    RateLimits limits = new RateLimits(amount(body, "requests_per_minute"), amount(body, "tokens_per_minute"));
                    backend.setTier(parts[1], limits);
                    return json(HttpResponseStatus.OK, tier(parts[1], limits));
                }
            }
            case "prices" -> {
                // a model name may hold a slash (openai/gpt-oss-120b): it is the whole rest of the path
                String name = parts.length < 2 ? ""
                        : QueryStringDecoder.decodeComponent(path.substring(PREFIX.length() + "prices/".length()));
                if (parts.length == 1 && method.equals(HttpMethod.GET)) {
                    Map<String, ModelPrice> prices = backend.prices();
                    return list(g -> {
                        for (Map.Entry<String, ModelPrice> price : prices.entrySet()) {
                            object(g, price(price.getKey(), price.getValue()));
                        }
                    });
                }
                if (!name.isEmpty() && method.equals(HttpMethod.PUT)) {
                    Map<String, Object> body = body(request);
                    ModelPrice price = new ModelPrice(amount(body, "input_per_million_micros"),
                            amount(body, "output_per_million_micros"));
                    String model = backend.setPrice(name, price);
                    return json(HttpResponseStatus.OK, price(model, price));
                }
            }
            case "usage" -> {
                if (parts.length == 1 && method.equals(HttpMethod.GET)) {
                    return usage(minutes(uri));
                }
            }
            case "limits" -> {
                if (parts.length == 1 && method.equals(HttpMethod.GET)) {
                    return limits();
                }
            }
            case "workers" -> {
                if (parts.length == 1 && method.equals(HttpMethod.GET)) {
                    return workers();
                }
            }
            default -> {
                // falls through to 404
            }
        }
        throw notFound(method, path);
    }

    private FullHttpResponse keys(List<StoredKey> keys) {
        return list(g -> {
            for (StoredKey key : keys) {
                g.writeStartObject();
                g.writeStringField("id", key.keyId());
                nullableString(g, "prefix", key.prefix());
                g.writeStringField("account_id", key.accountId());
                g.writeStringField("tier", key.tier());
                g.writeNumberField("created_at", key.createdAt().getEpochSecond());
                nullableSeconds(g, "last_used_at", view.lastUsed(key.keyId()).orElse(null));
                nullableSeconds(g, "revoked_at", key.revokedAt());
                g.writeEndObject();
            }
        });
    }

    /** The {@code minutes} query parameter: 1 to 60, 60 when absent. */
    private static int minutes(String uri) {
        List<String> values = new QueryStringDecoder(uri).parameters().get("minutes");
        if (values == null || values.isEmpty()) {
            return 60;
        }
        String value = values.get(values.size() - 1);
        int minutes;
        try {
            minutes = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            minutes = 0;
        }
        if (minutes < 1 || minutes > 60) {
            throw new IllegalArgumentException("minutes: an integer from 1 to 60 is required, got '" + value + "'");
        }
        return minutes;
    }

    private FullHttpResponse usage(int minutes) {
        List<KeyUsage> usage = view.usage(minutes);
        return list(g -> {
            for (KeyUsage u : usage) {
                g.writeStartObject();
                g.writeNumberField("minute", u.minute());
                g.writeStringField("key_id", u.keyId());
                g.writeStringField("account_id", u.accountId());
                g.writeStringField("model", u.model());
                g.writeNumberField("requests", u.requests());
                g.writeNumberField("input_tokens", u.inputTokens());
                g.writeNumberField("output_tokens", u.outputTokens());
                g.writeNumberField("spent_micros", u.spentMicros());
                g.writeEndObject();
            }
        });
    }

    /** A key near its limits, with the tier's limits and how near. */
    private record NearLimit(KeyLoad load, RateLimits limits, double ratio) {
    }

    private FullHttpResponse limits() {
        List<KeyLoad> loads = view.keyLoad();
        SortedMap<String, RateLimits> tiers = loads.isEmpty() ? null : backend.tiers();
        List<NearLimit> near = new ArrayList<>();
        for (KeyLoad load : loads) {
            // a tier without limits of its own has the default tier's, as in admission
            RateLimits limits = tiers.getOrDefault(load.tier(), tiers.getOrDefault("default", TierTable.DEFAULT_LIMITS));
            double ratio = Math.max(fraction(load.requests(), limits.requestsPerMinute()),
                    fraction(load.tokens(), limits.tokensPerMinute()));
            if (ratio >= NEAR_LIMIT) {
                near.add(new NearLimit(load, limits, ratio));
            }
        }
        near.sort(Comparator.comparingDouble(NearLimit::ratio).reversed().thenComparing(n -> n.load().keyId()));
        return list(g -> {
            for (NearLimit n : near) {
                g.writeStartObject();
                g.writeStringField("key_id", n.load().keyId());
                g.writeStringField("account_id", n.load().accountId());
                g.writeStringField("tier", n.load().tier());
                g.writeNumberField("requests", n.load().requests());
                g.writeNumberField("requests_per_minute", n.limits().requestsPerMinute());
                g.writeNumberField("tokens", n.load().tokens());
                g.writeNumberField("tokens_per_minute", n.limits().tokensPerMinute());
                g.writeNumberField("ratio", n.ratio());
                g.writeEndObject();
            }
        });
    }

    /** {@code used / limit}; a limit of 0 that was used counts as reached. */
    private static double fraction(long used, long limit) {
        return limit > 0 ? (double) used / limit : used > 0 ? 1.0 : 0.0;
    }

    private FullHttpResponse workers() {
        Map<String, List<WorkerState>> workers = view.workers();
        List<ModelLatency> models = view.modelLatency();
        return json(HttpResponseStatus.OK, g -> {
            g.writeArrayFieldStart("data");
            for (Map.Entry<String, List<WorkerState>> model : workers.entrySet()) {
                for (WorkerState w : model.getValue()) {
                    int inFlight = w.inFlight();
                    int decoding = w.decodingStreams();
                    double itl = w.itlSeconds();
                    g.writeStartObject();
                    g.writeStringField("model", model.getKey());
                    g.writeStringField("worker", w.name());
                    g.writeStringField("state", state(w));
                    g.writeNumberField("in_flight", inFlight);
                    g.writeNumberField("queued", Math.max(0, inFlight - decoding));
                    g.writeNumberField("pending_prefill_tokens", Math.max(0, w.pendingPrefillTokens()));
                    g.writeNumberField("decoding", decoding);
                    g.writeNumberField("ttft_seconds", w.cost(TYPICAL_PROMPT_TOKENS));
                    g.writeNumberField("tokens_per_second", itl > 0 ? 1 / itl : 0);
                    g.writeStringField("circuit", w.circuitState().name().toLowerCase(Locale.ROOT));
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
            g.writeArrayFieldStart("models");
            for (ModelLatency m : models) {
                g.writeStartObject();
                g.writeStringField("model", m.model());
                g.writeNumberField("requests", m.requests());
                g.writeNumberField("ttft_p50_seconds", m.ttftP50Seconds());
                g.writeNumberField("ttft_p99_seconds", m.ttftP99Seconds());
                g.writeNumberField("output_tokens_per_second", m.outputTokensPerSecond());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("at", System.currentTimeMillis());
        });
    }

    /** A worker's state for the dashboard: an operator's drain first, then its circuit, then its load. */
    private static String state(WorkerState w) {
        if (w.draining()) {
            return "draining";
        }
        if (w.circuitState() != CircuitState.CLOSED) {
            return "ejected";
        }
        return w.overloaded() ? "overloaded" : "healthy";
    }

    /** The metrics exposition; unauthenticated (see the class comment). */
    private FullHttpResponse metrics(HttpMethod method) {
        if (!method.equals(HttpMethod.GET)) {
            FullHttpResponse response = error(HttpResponseStatus.METHOD_NOT_ALLOWED, ErrorKind.METHOD_NOT_ALLOWED,
                    "Method " + method + " is not allowed on " + METRICS_PATH + ".");
            response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
            return response;
        }
        ByteBuf body = Unpooled.buffer(16 * 1024);
        try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
            metrics.writeTo(out);
        } catch (IOException e) {
            body.release();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            body.release();
            throw e;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return response;
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    private static AdminError notFound(HttpMethod method, String path) {
        return new AdminError(HttpResponseStatus.NOT_FOUND, ErrorKind.NOT_FOUND, "Invalid URL (" + method + " " + path + ")");
    }

    /** Reads a flat JSON object of strings and integers (nested values are rejected). */
    private static Map<String, Object> body(FullHttpRequest request) {
        Map<String, Object> fields = new HashMap<>();
        try (InputStream in = new ByteBufInputStream(request.content().duplicate());
             JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("The body must be a JSON object.");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (value) {
                    case VALUE_STRING -> fields.put(name, p.getText());
                    case VALUE_NUMBER_INT -> fields.put(name, p.getNumberValue());
                    case VALUE_NULL -> {
                        // absent
                    }
                    default -> throw new IllegalArgumentException(name + ": expected a string or an integer");
                }
            }
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("Unexpected content after the JSON object.");
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("The body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fields;
    }

    private static String text(Map<String, Object> body, String field) {
        if (!(body.get(field) instanceof String value) || value.isBlank()) {
            throw new IllegalArgumentException(field + ": a non-empty string is required");
        }
        if (!value.matches(NAME)) {
            throw new IllegalArgumentException(field + ": only letters, digits and . _ : @ - are allowed, up to 128");
        }
        return value;
    }

    private static long amount(Map<String, Object> body, String field) {
        if (!(body.get(field) instanceof Number number) || !(number instanceof Integer || number instanceof Long)) {
            throw new IllegalArgumentException(field + ": an integer is required");
        }
        long value = number.longValue();
        if (value < 0) {
            throw new IllegalArgumentException(field + ": must be >= 0, got " + value);
        }
        return value;
    }

    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static Fields tier(String name, RateLimits limits) {
        return g -> {
            g.writeStringField("name", name);
            g.writeNumberField("requests_per_minute", limits.requestsPerMinute());
            g.writeNumberField("tokens_per_minute", limits.tokensPerMinute());
        };
    }

    private static Fields price(String model, ModelPrice price) {
        return g -> {
            g.writeStringField("model", model);
            g.writeNumberField("input_per_million_micros", price.inputPerMillionMicros());
            g.writeNumberField("output_per_million_micros", price.outputPerMillionMicros());
        };
    }

    /** Writes one object of a list. */
    private static void object(JsonGenerator g, Fields fields) throws IOException {
        g.writeStartObject();
        fields.write(g);
        g.writeEndObject();
    }

    /** {@code {"data":[…]}}, the items written by {@code items}. */
    private static FullHttpResponse list(Fields items) {
        return json(HttpResponseStatus.OK, g -> {
            g.writeArrayFieldStart("data");
            items.write(g);
            g.writeEndArray();
        });
    }

    private static void nullableString(JsonGenerator g, String name, String value) throws IOException {
        if (value == null) {
            g.writeNullField(name);
        } else {
            g.writeStringField(name, value);
        }
    }

    private static void nullableSeconds(JsonGenerator g, String name, Instant at) throws IOException {
        if (at == null) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, at.getEpochSecond());
        }
    }

    private static Fields account(AdminBackend.AccountView account) {
        return g -> {
            g.writeStringField("id", account.id());
            g.writeStringField("tier", account.tier());
            g.writeNumberField("balance_micros", account.balanceMicros());
            g.writeNumberField("reserved_micros", account.reservedMicros());
            g.writeNumberField("spent_micros", account.spentMicros());
        };
    }

    private static FullHttpResponse json(HttpResponseStatus status, Fields fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return response(status, out.toByteArray());
    }

    private static FullHttpResponse error(HttpResponseStatus status, ErrorKind kind, String message) {
        return response(status, ErrorBodies.json(kind, message));
    }

    private static FullHttpResponse response(HttpResponseStatus status, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    /** An admin failure with its own status. */
    private static final class AdminError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient HttpResponseStatus status;
        final ErrorKind kind;

        AdminError(HttpResponseStatus status, ErrorKind kind, String message) {
            super(message, null, false, false);
            this.status = status;
            this.kind = kind;
        }
    }
}
