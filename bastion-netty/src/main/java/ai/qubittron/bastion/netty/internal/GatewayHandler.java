package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.error.ErrorBodies;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.error.GatewayException;
import ai.qubittron.bastion.core.inspect.InspectedRequest;
import ai.qubittron.bastion.core.inspect.RequestInspector;
import ai.qubittron.bastion.core.metering.ResponseInspector;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
 */
final class GatewayHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(GatewayHandler.class.getName());
    private static final String BEARER = "Bearer ";

    /**
     * Stands in the request sequence for a request whose body was too large: the aggregator drops the
     * body and passes this instead, so that the 413 is answered in order.
     *
     * @param keepAlive whether the connection can go on after the 413: the client's body is discarded
     *                  as it arrives, unless the client waits for {@code 100 Continue} and will never
     *                  send it, in which case the connection must close
     */
    record Oversized(boolean keepAlive) {
    }

    private final GatewayContext gateway;
    private final RequestInspector requestInspector = new RequestInspector();
    private final ResponseInspector responseInspector = new ResponseInspector();
    /** Requests read while one is in flight: {@link FullHttpRequest}s and {@link Oversized} markers. */
    private final ArrayDeque<Object> pending = new ArrayDeque<>(2);

    private ChannelHandlerContext ctx;
    private boolean busy;
    private boolean keepAlive;
    private String requestId;
    private Exchange exchange;

    GatewayHandler(GatewayContext gateway) {
        this.gateway = gateway;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
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
        if (msg instanceof Oversized oversized) {
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
        if (route.error != null) {
            request.release();
            respondError(route.error, route.error == ErrorKind.NOT_FOUND
                    ? "Invalid URL (" + request.method() + " " + path + ")"
                    : "Method " + request.method() + " is not allowed on " + path + ".");
            return;
        }
        String key = bearerToken(request);
        if (key == null) {
            request.release();
            respondError(ErrorKind.INVALID_API_KEY, ErrorBodies.INVALID_API_KEY_MESSAGE);
            return;
        }
        CompletableFuture<Optional<ApiPrincipal>> auth;
        try {
            auth = gateway.keyStore().authenticate(key).toCompletableFuture();
        } catch (RuntimeException e) {
            auth = CompletableFuture.failedFuture(e);
        }
        if (auth.isDone()) {
            authenticated(request, route, path, startNanos, auth);
        } else {
            CompletableFuture<Optional<ApiPrincipal>> pendingAuth = auth;
            auth.whenComplete((p, e) -> ctx.executor().execute(
                    () -> authenticated(request, route, path, startNanos, pendingAuth)));
        }
    }

    private void authenticated(FullHttpRequest request, Route route, String path, long startNanos,
                               CompletableFuture<Optional<ApiPrincipal>> auth) {
        if (!ctx.channel().isActive()) {
            request.release();
            return;
        }
        Optional<ApiPrincipal> principal;
        try {
            principal = auth.join();
        } catch (RuntimeException e) {
            request.release();
            LOG.log(Level.WARNING, "key store failed", e);
            respondError(ErrorKind.SERVICE_UNAVAILABLE, "The key store is unavailable; retry the request.");
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
        exchange = new Exchange(this, ctx, gateway, request, inspected, model, requestId, startNanos, responseInspector);
        exchange.start();
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
        writeLast(response);
        if (exchange == null) {
            requestDone();
        }
    }

    /** Writes and flushes the last message of the current response, closing the connection after it if needed. */
    void writeLast(Object message) {
        if (keepAlive) {
            ctx.writeAndFlush(message, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(message).addListener(ChannelFutureListener.CLOSE);
        }
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
        if (!(cause instanceof IOException)) {
            LOG.log(Level.WARNING, "unexpected error on a client connection; closing it", cause);
        }
        ctx.close();
    }

    private static String bearerToken(FullHttpRequest request) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || header.length() <= BEARER.length() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = header.substring(BEARER.length()).trim();
        return token.isEmpty() ? null : token;
    }

    /** Where a method and path lead: a model endpoint, the models listing, or an error. */
    private record Route(Endpoint endpoint, ErrorKind error) {
        private static final Route MODELS = new Route(null, null);
        private static final Route NOT_FOUND = new Route(null, ErrorKind.NOT_FOUND);
        private static final Route WRONG_METHOD = new Route(null, ErrorKind.METHOD_NOT_ALLOWED);

        static Route of(HttpMethod method, String path) {
            for (Endpoint endpoint : Endpoint.values()) {
                if (endpoint.path().equals(path)) {
                    return method.equals(HttpMethod.POST) ? new Route(endpoint, null) : WRONG_METHOD;
                }
            }
            if (path.equals("/v1/models") || (path.startsWith("/v1/models/") && path.length() > "/v1/models/".length())) {
                return method.equals(HttpMethod.GET) ? MODELS : WRONG_METHOD;
            }
            return NOT_FOUND;
        }
    }
}
