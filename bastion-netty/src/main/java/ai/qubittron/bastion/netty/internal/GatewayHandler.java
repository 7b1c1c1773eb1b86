package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.admission.Billing;
import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.error.ErrorBodies;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.error.GatewayException;
import ai.qubittron.bastion.core.inspect.InspectedRequest;
import ai.qubittron.bastion.core.inspect.RequestInspector;
import ai.qubittron.bastion.core.metering.ResponseInspector;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimits;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gateway's handler of one client connection: routes each whole request, authenticates it,
 * inspects its body, and hands it to an {@link Exchange} that relays it upstream; answers everything
 * else itself (errors, {@code /v1/models}).
 *
 * <p>Requests on one connection are answered in order: while one is in flight, a pipelined next one
 * waits and reading pauses. Thread role: the connection's event loop only. Ownership: each
 * {@link FullHttpRequest} read is owned here until it is released or handed to an {@link Exchange}.
 *
 * <p>Meters: a request answered here is counted in {@link #respond}, one whose client left during
 * admission in {@link #abandoned()}, and a relayed one by its {@link Exchange}; so each request that was
 * begun is counted once.
 */
final class GatewayHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(GatewayHandler.class.getName());
    private static final String BEARER = "Bearer ";
    /** How long a closing connection's unread input is drained after its last answer (see {@link #linger}). */
    static final long LINGER_MILLIS = 2000;
    private static final String LINGER = "linger";

    /**
     * Stands in the request sequence for a request whose body was too large: the aggregator drops the
     * body and passes this instead, so that the 413 is answered in order.
     *
     * @param keepAlive whether the connection can go on after the 413: the client's body is discarded
     *                  as it arrives, unless the client waits for {@code 100 Continue} and will never
     *                  send it, in which case the connection must close
     * @param endpoint  the endpoint of the request's path, for the meters
     */
    record Oversized(boolean keepAlive, GatewayMeters.EndpointTag endpoint) {
    }

    private final GatewayContext gateway;
    private final RequestInspector requestInspector = new RequestInspector();
    private final ResponseInspector responseInspector = new ResponseInspector();
    /** Requests read while one is in flight: {@link FullHttpRequest}s and {@link Oversized} markers. */
    private final ArrayDeque<Object> pending = new ArrayDeque<>(2);

    private ChannelHandlerContext ctx;
    /** The connection's time limits (null on an HTTP/2 stream, which has none of its own). */
    private ClientTimeouts timeouts;
    /** Authenticates each request on its head: the one place keys are looked up. */
    private HeadAuthenticator authenticator;
    private boolean busy;
    private boolean keepAlive;
    private String requestId;
    private Exchange exchange;
    /** The current request's meter tags: a catalog id or a bounded placeholder, and its endpoint. */
    private String meterModel = GatewayMeters.NO_MODEL;
    private GatewayMeters.EndpointTag meterEndpoint = GatewayMeters.EndpointTag.OTHER;

    GatewayHandler(GatewayContext gateway) {
        this.gateway = gateway;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.timeouts = ctx.pipeline().get(ClientTimeouts.class);
        this.authenticator = ctx.pipeline().get(HeadAuthenticator.class);
        if (authenticator == null) {
            throw new IllegalStateException("a GatewayHandler needs a HeadAuthenticator before it in its pipeline");
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest) && !(msg instanceof Oversized)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (busy) {
            pending.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(msg);
    }

    /** Whether a request is being answered; the aggregator then holds back its own interim answers. */
    boolean busy() {
        return busy;
    }

    private void handle(Object msg) {
        busy = true;
        if (timeouts != null) {
            timeouts.requestReceived();
        }
        meterModel = GatewayMeters.NO_MODEL;
        meterEndpoint = GatewayMeters.EndpointTag.OTHER;
        HeadAuthenticator.Verdict verdict = authenticator.take();
        if (msg instanceof Oversized oversized) {
            meterEndpoint = oversized.endpoint();
            requestId = HttpResponses.newRequestId();
            keepAlive = oversized.keepAlive();
            respondError(ErrorKind.REQUEST_TOO_LARGE,
                    "The request body is larger than the " + gateway.maxRequestBytes() + " bytes this gateway accepts.");
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        long startNanos = System.nanoTime();
        keepAlive = HttpUtil.isKeepAlive(request);
        requestId = HttpResponses.newRequestId();
        if (request.decoderResult().isFailure()) {
            request.release();
            keepAlive = false;
            respondError(ErrorKind.INVALID_REQUEST, "The HTTP request is malformed.");
            return;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        Route route = Route.of(request.method(), path);
        meterEndpoint = route.meterTag;
        if (route.error != null) {
            request.release();
            respondError(route.error, route.error == ErrorKind.NOT_FOUND
                    ? "Invalid URL (" + request.method() + " " + path + ")"
                    : "Method " + request.method() + " is not allowed on " + path + ".");
            return;
        }
        if (!verdict.lookedUp()) {
            // a well-formed request not looked up had no bearer token
            request.release();
            respondError(ErrorKind.INVALID_API_KEY, ErrorBodies.INVALID_API_KEY_MESSAGE);
            return;
        }
        // the key store was asked on the request's head, before its body was gathered (or dropped)
        authenticated(request, route, path, startNanos, verdict.principal(), verdict.error());
    }

    private void authenticated(FullHttpRequest request, Route route, String path, long startNanos,
                               Optional<ApiPrincipal> principal, Throwable error) {
        if (!ctx.channel().isActive()) {
            request.release();
            abandoned();
            return;
        }
        if (error != null) {
            request.release();
            LOG.log(Level.WARNING, "the key store failed", error);
            respondUnavailable("The key store is unavailable; retry the request.");
            return;
        }
        if (principal.isEmpty()) {
            request.release();
            respondError(ErrorKind.INVALID_API_KEY, ErrorBodies.INVALID_API_KEY_MESSAGE);
            return;
        }
        if (route.endpoint == null) {
            request.release();
            answerModels(principal.get(), path);
            return;
        }
        dispatch(request, route.endpoint, principal.get(), startNanos);
    }

    private void answerModels(ApiPrincipal principal, String path) {
        if (path.equals("/v1/models")) {
            respond(HttpResponses.json(HttpResponseStatus.OK, Unpooled.wrappedBuffer(gateway.models(principal)), requestId));
            return;
        }
        String name = path.substring("/v1/models/".length());
        byte[] model = gateway.model(principal, name);
        if (model == null) {
            respondError(ErrorKind.MODEL_NOT_FOUND, "The model '" + name + "' does not exist.");
        } else {
            respond(HttpResponses.json(HttpResponseStatus.OK, Unpooled.wrappedBuffer(model), requestId));
        }
    }

    private void dispatch(FullHttpRequest request, Endpoint endpoint, ApiPrincipal principal, long startNanos) {
        ModelInfo model;
        InspectedRequest inspected;
        try {
            inspected = requestInspector.inspect(endpoint, request.content());
            model = gateway.catalog().find(inspected.model());
            // the catalog bounds the tag; what the client wrote does not
            meterModel = model != null ? model.id() : GatewayMeters.UNKNOWN_MODEL;
            if (model == null || !model.supports(endpoint) || !principal.mayUse(model.id())) {
                throw new GatewayException(ErrorKind.MODEL_NOT_FOUND, "The model '" + inspected.model()
                        + "' does not exist or does not support " + endpoint.path() + ".");
            }
        } catch (GatewayException e) {
            request.release();
            respondError(e.kind(), e.getMessage());
            return;
        } catch (RuntimeException e) {
            request.release();
            LOG.log(Level.WARNING, "unexpected failure while inspecting a request", e);
            respondError(ErrorKind.INTERNAL_ERROR, "The gateway failed to process the request.");
            return;
        }
        limit(new Admitted(request, inspected, model, principal, startNanos, requestId));
    }

    /** A request on its way through admission; owns {@code request} until it is released or relayed. */
    private record Admitted(FullHttpRequest request, InspectedRequest inspected, ModelInfo model, ApiPrincipal principal,
                            long startNanos, String requestId) {

        /**
         * An upper bound of the prompt's tokens: no tokenizer makes more tokens of text than it has
         * bytes, and each image, audio or file part is allowed {@link Admission#mediaPartTokens()}.
         */
        long promptTokenBound(Admission admission) {
            return saturatedAdd(inspected.bodyBytes(), saturatedMultiply(inspected.mediaParts(), admission.mediaPartTokens()));
        }

        /** A likely count of the prompt's tokens (about 4 bytes a token), for the tokens-per-minute limit. */
        long promptTokenEstimate(Admission admission) {
            return saturatedAdd((inspected.bodyBytes() + 3L) / 4,
                    saturatedMultiply(inspected.mediaParts(), admission.mediaPartTokens()));
        }

        /** The output limit of one choice. */
        long outputLimit(Admission admission) {
            return inspected.maxOutputTokens() == InspectedRequest.NO_LIMIT
                    ? admission.defaultMaxOutputTokens() : inspected.maxOutputTokens();
        }

        /** The most output tokens the request can produce: every choice at its limit. */
        long outputBound(Admission admission) {
            return saturatedMultiply(outputLimit(admission), inspected.choices());
        }
    }

    /** Step 1 of admission: the per-key rate limit. */
    private void limit(Admitted a) {
        Admission admission = gateway.admission();
        if (admission.limiter() == null) {
            reserve(a, null);
            return;
        }
        long tokens = saturatedAdd(a.promptTokenEstimate(admission), a.outputBound(admission));
        RateLimits limits = admission.tiers().limits(a.principal().tier());
        if (tokens > limits.tokensPerMinute()) {
            // no window will ever admit it: say so, without a Retry-After that would invite a useless retry
            a.request().release();
            respondError(ErrorKind.RATE_LIMITED, "Request too large for this key's limit of " + limits.tokensPerMinute()
                    + " tokens per minute: it may use about " + tokens + ". Reduce the input or the output limit.");
            return;
        }
        CompletableFuture<RateLimitDecision> decided = bounded(() -> admission.limiter().acquire(
                a.principal().keyId(), limits, tokens));
        onLoop(decided, (decision, error) -> {
            if (!ctx.channel().isActive()) {
                a.request().release();
                abandoned();
            } else if (error != null) {
                a.request().release();
                LOG.log(Level.WARNING, "the rate limiter failed", error);
                respondUnavailable("The rate limiter is unavailable; retry the request.");
            } else if (!decision.allowed()) {
                a.request().release();
                FullHttpResponse response = HttpResponses.error(ErrorKind.RATE_LIMITED, rateLimitMessage(decision), requestId);
                HttpResponses.rateLimitHeaders(response.headers(), decision);
                response.headers().set(HttpHeaderNames.RETRY_AFTER, decision.retryAfterSeconds());
                respond(response);
            } else {
                reserve(a, decision);
            }
        });
    }

    /** Step 2 of admission: reserve the worst-case cost on the account's prepaid credit. */
    private void reserve(Admitted a, RateLimitDecision decision) {
        Admission admission = gateway.admission();
        Ledger ledger = admission.ledger();
        if (ledger == null) {
            relay(a, decision, null, InspectedRequest.NO_LIMIT);
            return;
        }
        String accountId = a.principal().accountId();
        ModelPrice price = admission.prices().price(a.model().id());
        long amount = price.costMicros(a.promptTokenBound(admission), a.outputBound(admission));
        CompletableFuture<Reservation> original = SpiCalls.call(() -> ledger.reserve(accountId, a.requestId(), amount));
        CompletableFuture<Reservation> reserved = bounded(original);
        onLoop(reserved, (reservation, error) -> {
            if (error instanceof TimeoutException) {
                // the ledger may still grant it: whenever it does, give it back
                original.thenAccept(late -> {
                    if (late.granted()) {
                        releaseQuietly(ledger, accountId, a.requestId());
                    }
                });
            }
            if (error != null || !ctx.channel().isActive()) {
                if (error == null && reservation.granted()) {
                    releaseQuietly(ledger, accountId, a.requestId());
                }
                a.request().release();
                if (error != null && ctx.channel().isActive()) {
                    LOG.log(Level.WARNING, "the ledger failed", error);
                    respondUnavailable("The balance check is unavailable; retry the request.");
                } else {
                    abandoned();
                }
            } else if (!reservation.granted()) {
                a.request().release();
                respondError(ErrorKind.INSUFFICIENT_FUNDS, "Your account's credit is exhausted: this request may cost up to "
                        + amount + " micro-units and " + reservation.availableMicros() + " are available.");
            } else {
                long promptFallback = a.promptTokenEstimate(admission);
                relay(a, decision, new Billing(ledger, accountId, a.requestId(), price, amount, promptFallback),
                        a.outputLimit(admission));
            }
        });
    }

    /** Step 3: relay the admitted request upstream. */
    private void relay(Admitted a, RateLimitDecision decision, Billing billing, long imposedOutputLimit) {
        exchange = new Exchange(this, ctx, gateway, a.request(), a.inspected(), a.model(), a.requestId(), a.startNanos(),
                responseInspector, decision, billing, imposedOutputLimit);
        exchange.start();
    }

    private static void releaseQuietly(Ledger ledger, String accountId, String requestId) {
        try {
            ledger.release(accountId, requestId);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not release the reservation of request " + requestId, e);
        }
    }

    private static String rateLimitMessage(RateLimitDecision decision) {
        String which = decision.remainingRequests() <= 0
                ? decision.limitRequests() + " requests per minute"
                : decision.limitTokens() + " tokens per minute";
        return "Rate limit reached for this key: " + which + ". Retry after " + decision.retryAfterSeconds() + " s.";
    }

    private void respondUnavailable(String message) {
        FullHttpResponse response = HttpResponses.error(ErrorKind.SERVICE_UNAVAILABLE, message, requestId);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
        respond(response);
    }

    /** Calls an SPI method, turning a throw into a failed stage and bounding the wait by the admission timeout. */
    private <T> CompletableFuture<T> bounded(Supplier<CompletionStage<T>> call) {
        return bounded(SpiCalls.call(call));
    }

    /** Waits for {@code future} at most the admission timeout, on a copy: the original keeps its own outcome. */
    private <T> CompletableFuture<T> bounded(CompletableFuture<T> future) {
        return SpiCalls.bounded(future, gateway.admission().timeoutMillis());
    }

    /** Runs {@code then} on this connection's event loop once the future completes (at once if it has). */
    private <T> void onLoop(CompletableFuture<T> future, BiConsumer<T, Throwable> then) {
        SpiCalls.onLoop(ctx.executor(), future, then);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long product = a * b;
        return high != 0 || product < 0 ? Long.MAX_VALUE : product;
    }

    /** Whether the current request's connection stays open after its response. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** The connection is to close once the current response is written (e.g. a close-delimited body). */
    void closeAfterResponse() {
        keepAlive = false;
    }

    /** Writes and flushes a whole response to the current request, then moves to the next one. */
    void respond(FullHttpResponse response) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (exchange == null) {
            // the gateway's own answer (an exchange counts its requests itself)
            gateway.meters().requests(meterModel, meterEndpoint).answered(response.status().code());
        }
        writeLast(response);
        if (exchange == null) {
            requestDone();
        }
    }

    /** The client left while its request was in admission: counted as {@link GatewayMeters#CLIENT_CLOSED}. */
    private void abandoned() {
        gateway.meters().requests(meterModel, meterEndpoint).answered(GatewayMeters.CLIENT_CLOSED);
    }

    /** Writes and flushes the last message of the current response, closing the connection after it if needed. */
    void writeLast(Object message) {
        if (keepAlive) {
            ctx.writeAndFlush(message, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(message).addListener(this::linger);
        }
    }

    /**
     * Closes a connection after its last answer without resetting it under that answer: closing a socket
     * with unread bytes from the client (the rest of a body it was still sending, a pipelined request)
     * sends a reset, and the client may lose the answer before it reads it. So the gateway's side is shut
     * (a FIN after the answer), what the client still sends is dropped unread, undecoded, for up to
     * {@value #LINGER_MILLIS} ms, and then, or when the client closes, the connection closes. An HTTP/2
     * stream just ends.
     */
    private void linger(Future<?> written) {
        Channel ch = ctx.channel();
        if (!written.isSuccess() || !(ch instanceof DuplexChannel duplex) || !ch.isActive()
                || ch.pipeline().get(LINGER) != null) {
            ctx.close();
            return;
        }
        ch.pipeline().addFirst(LINGER, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                ReferenceCountUtil.release(msg);
            }
        });
        duplex.shutdownOutput().addListener(shut -> {
            if (!shut.isSuccess()) {
                ch.close();
                return;
            }
            ch.config().setAutoRead(true);
            ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }

    private void respondError(ErrorKind kind, String message) {
        respond(HttpResponses.error(kind, message, requestId));
    }

    /** The exchange has written its whole response (or the client is gone). */
    void exchangeDone(Exchange done) {
        if (exchange == done) {
            exchange = null;
            requestDone();
        }
    }

    private void requestDone() {
        busy = false;
        if (!keepAlive || !ctx.channel().isActive()) {
            return;
        }
        if (timeouts != null) {
            timeouts.idle();
        }
        Object next = pending.poll();
        if (next != null) {
            handle(next);
        } else {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null && ctx.channel().isWritable()) {
            exchange.clientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Exchange current = exchange;
        exchange = null;
        if (current != null) {
            current.clientClosed();
        }
        Object request;
        while ((request = pending.poll()) != null) {
            ReferenceCountUtil.release(request);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && !(cause instanceof PrematureChannelClosureException)) {
            // bytes a decoder could not make sense of (e.g. a Content-Length that is no number): the client's
            // fault, and the framing is lost, so answer 400 if nothing is being answered, then close
            LOG.log(Level.FINE, "malformed request on a client connection; closing it", cause);
            if (!busy && ctx.channel().isActive()) {
                busy = true;
                keepAlive = false;
                requestId = HttpResponses.newRequestId();
                meterModel = GatewayMeters.NO_MODEL;
                meterEndpoint = GatewayMeters.EndpointTag.OTHER;
                respondError(ErrorKind.INVALID_REQUEST, "The HTTP request is malformed.");
                return;
            }
        } else if (!(cause instanceof IOException) && !(cause instanceof PrematureChannelClosureException)) {
            // (a client that hangs up while sending its body is no error of the gateway's)
            LOG.log(Level.WARNING, "unexpected error on a client connection; closing it", cause);
        }
        ctx.close();
    }

    /** The bearer token of a request's {@code Authorization} header, or {@code null} when it has none. */
    static String bearerToken(HttpRequest request) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || header.length() <= BEARER.length() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = header.substring(BEARER.length()).trim();
        return token.isEmpty() ? null : token;
    }

    /** The endpoint a request URI is counted under (for a request answered before it is routed). */
    static GatewayMeters.EndpointTag meterTag(String uri) {
        int query = uri.indexOf('?');
        return Route.of(HttpMethod.POST, query < 0 ? uri : uri.substring(0, query)).meterTag;
    }

    /** Where a method and path lead: a model endpoint, the models listing, or an error; and the meters' endpoint. */
    private record Route(Endpoint endpoint, ErrorKind error, GatewayMeters.EndpointTag meterTag) {
        private static final Endpoint[] ENDPOINTS = Endpoint.values();
        private static final Route[] BY_ENDPOINT = new Route[ENDPOINTS.length];
        private static final Route[] WRONG_METHOD_BY_ENDPOINT = new Route[ENDPOINTS.length];
        private static final Route MODELS = new Route(null, null, GatewayMeters.EndpointTag.MODELS);
        private static final Route MODELS_WRONG_METHOD =
                new Route(null, ErrorKind.METHOD_NOT_ALLOWED, GatewayMeters.EndpointTag.MODELS);
        private static final Route NOT_FOUND = new Route(null, ErrorKind.NOT_FOUND, GatewayMeters.EndpointTag.OTHER);

        static {
            for (Endpoint endpoint : ENDPOINTS) {
                GatewayMeters.EndpointTag tag = GatewayMeters.EndpointTag.of(endpoint);
                BY_ENDPOINT[endpoint.ordinal()] = new Route(endpoint, null, tag);
                WRONG_METHOD_BY_ENDPOINT[endpoint.ordinal()] = new Route(null, ErrorKind.METHOD_NOT_ALLOWED, tag);
            }
        }

        static Route of(HttpMethod method, String path) {
            for (Endpoint endpoint : ENDPOINTS) {
                if (endpoint.path().equals(path)) {
                    return (method.equals(HttpMethod.POST) ? BY_ENDPOINT : WRONG_METHOD_BY_ENDPOINT)[endpoint.ordinal()];
                }
            }
            if (path.equals("/v1/models") || (path.startsWith("/v1/models/") && path.length() > "/v1/models/".length())) {
                return method.equals(HttpMethod.GET) ? MODELS : MODELS_WRONG_METHOD;
            }
            return NOT_FOUND;
        }
    }
}
