package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.admission.AudioMetering;
import ai.qubittron.bastion.core.admission.Billing;
import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.error.ErrorBodies;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.error.GatewayException;
import ai.qubittron.bastion.core.inspect.InspectedRequest;
import ai.qubittron.bastion.core.inspect.MultipartScanner;
import ai.qubittron.bastion.core.inspect.RequestInspector;
import ai.qubittron.bastion.core.metering.ResponseInspector;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.Ledger;
import ai.qubittron.bastion.spi.ledger.Reservation;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import ai.qubittron.bastion.spi.limit.RateLimitRequest;
import ai.qubittron.bastion.spi.limit.RateLimits;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
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
 * else itself (errors, {@code /v1/models}). A transcription is not gathered first: its head comes
 * alone, its body follows as contents that go to its {@link Upload}, and it is admitted once the upload
 * has read its {@code model} field. An answer sent before such a body has ended closes the connection.
 *
 * <p>Requests on one connection are answered in order: while one is in flight, a pipelined next one
 * waits and reading pauses. Thread role: the connection's event loop only. Ownership: each
 * {@link FullHttpRequest} read is owned here until it is released or handed to an {@link Exchange}; an
 * {@link Upload} until the request is done.
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
    static final String SHUTTING_DOWN = "The gateway is shutting down; retry the request.";

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
    /** Whether the current request's body is still arriving (an upload, relayed as it comes). */
    private boolean bodyOpen;
    /** The current request's upload (a transcription's body), or {@code null}. */
    private Upload upload;
    private boolean keepAlive;
    private String requestId;
    private Exchange exchange;
    /** The current request's meter tags: a catalog id or a bounded placeholder, and its endpoint. */
    private String meterModel = GatewayMeters.NO_MODEL;
    private GatewayMeters.EndpointTag meterEndpoint = GatewayMeters.EndpointTag.OTHER;

    /** Whether the gateway is mounted in a host's pipeline: the connection is the host's, not closed for drains. */
    private final boolean mounted;

    GatewayHandler(GatewayContext gateway) {
        this(gateway, false);
    }

    GatewayHandler(GatewayContext gateway, boolean mounted) {
        this.gateway = gateway;
        this.mounted = mounted;
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
        if (msg instanceof Mount.Passthrough) {
            // a request of the host's, for the host's handlers after the mounted gateway
            ctx.fireChannelRead(msg);
            return;
        }
        if (bodyOpen && msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
            // the rest of the upload being answered
            uploadContent(content);
            return;
        }
        if (!(msg instanceof HttpRequest) && !(msg instanceof Oversized) && !(busy && msg instanceof HttpContent)) {
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
        if (msg instanceof HttpContent && !(msg instanceof HttpRequest)) {
            // the body of an upload answered before it ended (the connection closes after that answer)
            ReferenceCountUtil.release(msg);
            Object next = pending.poll();
            if (next != null) {
                handle(next);
            } else {
                ctx.channel().config().setAutoRead(true);
            }
            return;
        }
        busy = true;
        boolean streamedBody = msg instanceof HttpRequest && !(msg instanceof FullHttpRequest);
        if (timeouts != null && !streamedBody) {
            // (an upload is received until its last content: see uploadContent)
            timeouts.requestReceived();
        }
        bodyOpen = streamedBody;
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
        HttpRequest request = (HttpRequest) msg;
        long startNanos = System.nanoTime();
        // (a mounted gateway's connection is the host's: a drain does not end it)
        keepAlive = HttpUtil.isKeepAlive(request) && (mounted || !gateway.draining());
        requestId = HttpResponses.newRequestId();
        if (gateway.draining()) {
            // (a request pipelined behind one in flight, or a new HTTP/2 stream, as the gateway stops)
            ReferenceCountUtil.release(request);
            respondUnavailable(SHUTTING_DOWN);
            return;
        }
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            ReferenceCountUtil.release(request);
            keepAlive = false;
            if (cause instanceof TooLongHttpLineException) {
                respondError(ErrorKind.URI_TOO_LONG, "The request line is longer than the "
                        + GatewayPipeline.MAX_INITIAL_LINE + " bytes this gateway reads.");
            } else if (cause instanceof TooLongHttpHeaderException) {
                respondError(ErrorKind.HEADERS_TOO_LARGE, "The request headers are larger than the "
                        + GatewayPipeline.MAX_HEADER_SIZE + " bytes this gateway reads.");
            } else {
                respondError(ErrorKind.INVALID_REQUEST, "The HTTP request is malformed.");
            }
            return;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        Route route = Route.of(request.method(), path);
        meterEndpoint = route.meterTag;
        if (route.error != null) {
            ReferenceCountUtil.release(request);
            respondError(route.error, route.error == ErrorKind.NOT_FOUND
                    ? "Invalid URL (" + request.method() + " " + path + ")"
                    : "Method " + request.method() + " is not allowed on " + path + ".");
            return;
        }
        if (!verdict.lookedUp()) {
            // a well-formed request not looked up had no bearer token
            ReferenceCountUtil.release(request);
            respondError(ErrorKind.INVALID_API_KEY, ErrorBodies.INVALID_API_KEY_MESSAGE);
            return;
        }
        // the key store was asked on the request's head, before its body was gathered (or dropped)
        authenticated(request, route, path, startNanos, verdict.principal(), verdict.error());
    }

    private void authenticated(HttpRequest request, Route route, String path, long startNanos,
                               Optional<ApiPrincipal> principal, Throwable error) {
        if (!ctx.channel().isActive()) {
            ReferenceCountUtil.release(request);
            abandoned();
            return;
        }
        if (error != null) {
            ReferenceCountUtil.release(request);
            LOG.log(Level.WARNING, "the key store failed", error);
            respondUnavailable("The key store is unavailable; retry the request.");
            return;
        }
        if (principal.isEmpty()) {
            ReferenceCountUtil.release(request);
            respondError(ErrorKind.INVALID_API_KEY, ErrorBodies.INVALID_API_KEY_MESSAGE);
            return;
        }
        if (route.endpoint == null) {
            ReferenceCountUtil.release(request);
            answerModels(principal.get(), path);
            return;
        }
        if (route.endpoint == Endpoint.TRANSCRIPTIONS) {
            startUpload(request, principal.get(), startNanos);
            return;
        }
        dispatch((FullHttpRequest) request, route.endpoint, principal.get(), startNanos);
    }

    /**
     * A transcription: its multipart body is relayed as it arrives ({@link Upload}); admission waits for
     * its {@code model} field ({@link UploadListener#uploadModel}).
     */
    private void startUpload(HttpRequest head, ApiPrincipal principal, long startNanos) {
        String boundary = MultipartScanner.boundaryOf(head.headers().get(HttpHeaderNames.CONTENT_TYPE));
        long length = HttpUtil.getContentLength(head, -1L);
        if (boundary == null) {
            ReferenceCountUtil.release(head);
            respondError(ErrorKind.INVALID_REQUEST,
                    "Invalid Content-Type: expected multipart/form-data with a boundary (a file upload).");
            return;
        }
        if (length > gateway.maxUploadBytes()) {
            ReferenceCountUtil.release(head);
            respondError(ErrorKind.REQUEST_TOO_LARGE, "The upload is " + length + " bytes; this endpoint accepts at most "
                    + gateway.maxUploadBytes() + ".");
            return;
        }
        upload = new Upload(new UploadListener(head, principal, startNanos, length), ctx.channel(), boundary,
                gateway.maxUploadBytes());
        if (HttpUtil.is100ContinueExpected(head)) {
            // (curl asks for it on bodies over 1 MB): the client is known and the size acceptable
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
        if (head instanceof FullHttpRequest whole) {
            // a body that came with its head (an HTTP/2 stream may decode so)
            bodyOpen = true;
            uploadContent(new DefaultLastHttpContent(whole.content().retainedDuplicate()));
            whole.release();
            return;
        }
        // contents read behind the head while an earlier request was answered
        while (bodyOpen && pending.peek() instanceof HttpContent content && !(content instanceof HttpRequest)) {
            pending.poll();
            uploadContent(content);
        }
        if (bodyOpen && upload != null) {
            // a pipelined upload began with reading paused (see channelRead): read on to its model field
            upload.resumeScanning();
        }
    }

    /** One part of the open upload's body, in order. */
    private void uploadContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            // the decoder lost the framing: whatever follows on the connection is not a request
            keepAlive = false;
        }
        if (content instanceof LastHttpContent) {
            bodyOpen = false;
            if (timeouts != null) {
                timeouts.requestReceived();
            }
        } else if (timeouts != null) {
            timeouts.bodyProgress();
        }
        if (upload != null) {
            upload.onContent(content);
        } else {
            content.release();
        }
    }

    /** What the current upload reports; stale once another request is being answered. */
    private final class UploadListener implements Upload.Listener {
        private final HttpRequest head;
        private final ApiPrincipal principal;
        private final long startNanos;
        private final long declaredLength;

        UploadListener(HttpRequest head, ApiPrincipal principal, long startNanos, long declaredLength) {
            this.head = head;
            this.principal = principal;
            this.startNanos = startNanos;
            this.declaredLength = declaredLength;
        }

        private boolean current() {
            return upload != null && upload.listener() == this;
        }

        @Override
        public void uploadModel(String name) {
            if (!current()) {
                return;
            }
            ModelInfo model = gateway.catalog().find(name);
            meterModel = model != null ? model.id() : GatewayMeters.UNKNOWN_MODEL;
            if (model == null || !model.supports(Endpoint.TRANSCRIPTIONS) || !principal.mayUse(model.id())) {
                respondError(ErrorKind.MODEL_NOT_FOUND, "The model '" + name + "' does not exist or does not support "
                        + Endpoint.TRANSCRIPTIONS.path() + ".");
                return;
            }
            long bytes = declaredLength >= 0 ? declaredLength : upload.received();
            InspectedRequest inspected = InspectedRequest.ofUpload(Endpoint.TRANSCRIPTIONS, name,
                    (int) Math.min(Integer.MAX_VALUE, bytes));
            limit(new Admitted(head, upload, declaredLength, inspected, model, principal, startNanos, requestId));
        }

        @Override
        public void uploadFailed(int status, String message) {
            if (!current()) {
                return;
            }
            Upload failed = upload;
            ErrorKind kind = switch (status) {
                case 413 -> ErrorKind.REQUEST_TOO_LARGE;
                case 503 -> ErrorKind.SERVICE_UNAVAILABLE;
                default -> ErrorKind.INVALID_REQUEST;
            };
            failed.close();
            if (exchange != null) {
                exchange.abandon(kind, message);
            } else if (kind == ErrorKind.SERVICE_UNAVAILABLE) {
                respondUnavailable(message);
            } else {
                respondError(kind, message);
            }
        }
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
            // (only text to speech may name no model: it gets the catalog's default one)
            model = inspected.model() == null ? gateway.catalog().defaultFor(endpoint) : gateway.catalog().find(inspected.model());
            // the catalog bounds the tag; what the client wrote does not
            meterModel = model != null ? model.id() : GatewayMeters.UNKNOWN_MODEL;
            if (model == null && inspected.model() == null) {
                throw new GatewayException(ErrorKind.MODEL_NOT_FOUND, "No model for " + endpoint.path()
                        + " is configured; name one in 'model'.");
            }
            if (model == null || !model.supports(endpoint) || !principal.mayUse(model.id())) {
                throw new GatewayException(ErrorKind.MODEL_NOT_FOUND, "The model '" + (inspected.model() != null
                        ? inspected.model() : model.id()) + "' does not exist or does not support " + endpoint.path() + ".");
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
        limit(new Admitted(request, null, -1, inspected, model, principal, startNanos, requestId));
    }

    /**
     * A request on its way through admission; owns {@code request} until it is released or relayed.
     *
     * @param upload         the body of a transcription, relayed as it arrives ({@code null} for a JSON request,
     *                       whose body is {@code request}'s); owned by the handler
     * @param uploadLength   the upload's {@code Content-Length}, or -1
     */
    private record Admitted(HttpRequest request, Upload upload, long uploadLength, InspectedRequest inspected,
                            ModelInfo model, ApiPrincipal principal, long startNanos, String requestId) {

        /**
         * An upper bound of the prompt's tokens: no tokenizer makes more tokens of text than it has
         * bytes, and each image, audio or file part is allowed {@link Admission#mediaPartTokens()}. An
         * upload's is its audio at the lowest bit rate ({@link AudioMetering#boundTokens}).
         */
        long promptTokenBound(Admission admission, long maxUploadBytes) {
            if (upload != null) {
                return AudioMetering.boundTokens(uploadLength >= 0 ? uploadLength : maxUploadBytes);
            }
            return saturatedAdd(inspected.bodyBytes(), saturatedMultiply(inspected.mediaParts(), admission.mediaPartTokens()));
        }

        /**
         * A likely count of the prompt's tokens (about 4 bytes a token; an upload's by its size,
         * {@link AudioMetering#estimatedTokens}), for the tokens-per-minute limit and the bill when the
         * worker reports no usage.
         */
        long promptTokenEstimate(Admission admission) {
            if (upload != null) {
                return AudioMetering.estimatedTokens(uploadLength >= 0 ? uploadLength : upload.received());
            }
            return saturatedAdd((inspected.bodyBytes() + 3L) / 4,
                    saturatedMultiply(inspected.mediaParts(), admission.mediaPartTokens()));
        }

        /** The output limit of one choice; none is imposed on audio. */
        long outputLimit(Admission admission) {
            if (!inspected.endpoint().isText()) {
                return InspectedRequest.NO_LIMIT;
            }
            return inspected.maxOutputTokens() == InspectedRequest.NO_LIMIT
                    ? admission.defaultMaxOutputTokens() : inspected.maxOutputTokens();
        }

        /**
         * The most output tokens the request can produce: every choice at its limit. Speech has none; a
         * transcript is allowed the default output limit.
         */
        long outputBound(Admission admission) {
            return switch (inspected.endpoint()) {
                case TEXT_TO_SPEECH -> 0;
                case TRANSCRIPTIONS -> admission.defaultMaxOutputTokens();
                default -> saturatedMultiply(outputLimit(admission), inspected.choices());
            };
        }

        /** Whether the request was answered while it was admitted (an upload that failed meanwhile). */
        boolean answered() {
            return upload != null && upload.closed();
        }

        void release() {
            ReferenceCountUtil.release(request);
        }
    }

    /**
     * Step 1 of admission: the rate limit, per key and whatever else the limiter's policy looks at (it is
     * told the account, tier, catalog model id and endpoint too).
     */
    private void limit(Admitted a) {
        Admission admission = gateway.admission();
        long tokens = saturatedAdd(a.promptTokenEstimate(admission), a.outputBound(admission));
        if (admission.limiter() == null) {
            reserve(a, null, tokens);
            return;
        }
        ApiPrincipal principal = a.principal();
        RateLimits limits = admission.tiers().limits(principal.tier());
        RateLimitRequest request = new RateLimitRequest(principal.keyId(), principal.accountId(), principal.tier(),
                a.model().id(), a.inspected().endpoint().path(), limits, tokens);
        CompletableFuture<RateLimitDecision> decided = bounded(() -> admission.limiter().acquire(request));
        onLoop(decided, (decision, error) -> {
            if (a.answered()) {
                a.release();
            } else if (!ctx.channel().isActive()) {
                a.release();
                abandoned();
            } else if (error != null) {
                a.release();
                LOG.log(Level.WARNING, "the rate limiter failed", error);
                respondUnavailable("The rate limiter is unavailable; retry the request.");
            } else if (!decision.allowed()) {
                a.release();
                // tokens past the limit the policy applied (the tier's, or its own): no window will ever admit
                // it, so no Retry-After that would invite a useless retry
                boolean tooLarge = tokens > decision.limitTokens();
                FullHttpResponse response = HttpResponses.error(ErrorKind.RATE_LIMITED, tooLarge
                        ? "Request too large for this key's limit of " + decision.limitTokens() + " tokens per minute: it may use about "
                                + tokens + ". Reduce the input or the output limit."
                        : rateLimitMessage(decision), requestId);
                HttpResponses.rateLimitHeaders(response.headers(), decision);
                if (!tooLarge) {
                    response.headers().set(HttpHeaderNames.RETRY_AFTER, decision.retryAfterSeconds());
                }
                respond(response);
            } else {
                reserve(a, decision, tokens);
            }
        });
    }

    /**
     * Step 2 of admission: reserve the worst-case cost on the account's prepaid credit.
     *
     * @param tokens the tokens the rate limiter admitted the request for (or would have, without one)
     */
    private void reserve(Admitted a, RateLimitDecision decision, long tokens) {
        Admission admission = gateway.admission();
        // admitted by the rate limiter (or there is none): this minute's use of the key's limits
        gateway.usage().admitted(a.principal(), tokens);
        Ledger ledger = admission.ledger();
        if (ledger == null) {
            relay(a, decision, null, InspectedRequest.NO_LIMIT);
            return;
        }
        String accountId = a.principal().accountId();
        ModelPrice price = admission.prices().price(a.model().id());
        long amount = price.costMicros(a.promptTokenBound(admission, gateway.maxUploadBytes()), a.outputBound(admission));
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
            if (error != null || !ctx.channel().isActive() || a.answered()) {
                if (error == null && reservation.granted()) {
                    releaseQuietly(ledger, accountId, a.requestId());
                }
                a.release();
                if (a.answered()) {
                    return;
                }
                if (error != null && ctx.channel().isActive()) {
                    LOG.log(Level.WARNING, "the ledger failed", error);
                    respondUnavailable("The balance check is unavailable; retry the request.");
                } else {
                    abandoned();
                }
            } else if (!reservation.granted()) {
                a.release();
                respondError(ErrorKind.INSUFFICIENT_FUNDS, "Your account's credit is exhausted: this request may cost up to "
                        + amount + " micro-units and " + reservation.availableMicros() + " are available.");
            } else {
                relay(a, decision, new Billing(ledger, accountId, a.requestId(), price, amount), a.outputLimit(admission));
            }
        });
    }

    /** Step 3: relay the admitted request upstream. */
    private void relay(Admitted a, RateLimitDecision decision, Billing billing, long imposedOutputLimit) {
        // the prompt estimate is what a response without usage is billed and recorded for
        exchange = new Exchange(this, ctx, gateway, a.request(), a.upload(), a.inspected(), a.model(), a.principal(),
                a.requestId(), a.startNanos(), responseInspector, decision, billing,
                a.promptTokenEstimate(gateway.admission()), imposedOutputLimit);
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
        if (bodyOpen) {
            // an upload answered before its end: the rest is not read (see linger)
            keepAlive = false;
        }
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

    /**
     * The gateway is shutting down: an idle connection closes now, a busy one once its answer is written
     * (the answer says {@code Connection: close}). Runs on the connection's event loop.
     */
    void drain() {
        if (mounted) {
            // the host's connection: it stays; the gateway's next request there gets 503
            return;
        }
        keepAlive = false;
        if (!busy) {
            ctx.close();
        }
    }

    /** The drain's time is up: what is in flight ends with a 503 or a final error event, billed as it stands. */
    void abandonForShutdown() {
        Exchange current = exchange;
        if (current != null) {
            current.abandon(ErrorKind.SERVICE_UNAVAILABLE, SHUTTING_DOWN);
        }
        if (!mounted) {
            ctx.close();
        }
    }

    private void requestDone() {
        busy = false;
        if (upload != null) {
            upload.close();
            upload = null;
        }
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
        if (upload != null) {
            upload.close();
            upload = null;
        }
        Object request;
        while ((request = pending.poll()) != null) {
            ReferenceCountUtil.release(request);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (mounted && !busy) {
            // nothing of the gateway's in flight: the host's handlers decide
            ctx.fireExceptionCaught(cause);
            return;
        }
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

    /** Whether the request's body is an upload, relayed as it arrives rather than gathered first. */
    static boolean isUpload(HttpRequest request) {
        String uri = request.uri();
        String path = Endpoint.TRANSCRIPTIONS.path();
        return request.method().equals(HttpMethod.POST) && uri.startsWith(path)
                && (uri.length() == path.length() || uri.charAt(path.length()) == '?');
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
        private static final String OPENAI_SPEECH_PATH = "/v1/audio/speech";
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
                // speech also at OpenAI's own path, where the OpenAI SDKs send it
                if (endpoint.path().equals(path) || (endpoint == Endpoint.TEXT_TO_SPEECH && path.equals(OPENAI_SPEECH_PATH))) {
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
