package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Authenticates each request on its head, before its body is gathered: a request with no bearer token,
 * or a key the key store does not know, has its body dropped as it arrives (the aggregator then sees an
 * empty one), so an anonymous client cannot make the gateway hold up to its body limit before it hears
 * 401. The answer itself stays {@link GatewayHandler}'s, in request order, which takes each verdict here
 * ({@link #take}) instead of asking the key store a second time.
 *
 * <p>A key store that answers at once (the in-memory one) is decided on the spot. While an asynchronous
 * one is asked (at most the admission timeout), what arrives behind the head is held in order; past
 * 1 MiB, reading pauses until the answer. Sits between the HTTP codec and the body aggregator, on
 * HTTP/1.1 connections and on each HTTP/2 stream. Thread role: the channel's event loop.
 */
final class HeadAuthenticator extends ChannelInboundHandlerAdapter {

    /** The verdict on one request's key: a principal, none (unknown key) or the key store's failure. */
    record Verdict(Optional<ApiPrincipal> principal, Throwable error) {
        /** Not looked up: no bearer token, or a malformed request (the handler answers it without one). */
        static final Verdict NOT_LOOKED_UP = new Verdict(Optional.empty(), null);

        /** Whether the key store was asked (else the handler answers without a principal). */
        boolean lookedUp() {
            return this != NOT_LOOKED_UP;
        }
    }

    private final GatewayContext gateway;
    /** Verdicts of the requests passed on, in order, until {@link GatewayHandler} takes them. */
    private final ArrayDeque<Verdict> verdicts = new ArrayDeque<>(2);
    /** Messages read while the key store is being asked, in order. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private boolean asking;
    private long heldBytes;
    private boolean pausedReading;
    /** Whether the current request's body is being dropped. */
    private boolean dropping;

    HeadAuthenticator(GatewayContext gateway) {
        this.gateway = gateway;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * The verdict on the next request in order (one per request head passed on: every message the
     * aggregator passes to the handler, a request or an oversized marker, has one), or {@code null} when
     * there is none.
     */
    Verdict take() {
        return verdicts.poll();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (asking) {
            held.add(msg);
            if (msg instanceof HttpContent content) {
                heldBytes += content.content().readableBytes();
                if (heldBytes > Math.min(gateway.maxRequestBytes(), Upload.MEMORY_BYTES) && ctx.channel().config().isAutoRead()) {
                    ctx.channel().config().setAutoRead(false);
                    pausedReading = true;
                }
            }
            return;
        }
        read(msg);
    }

    private void read(Object msg) {
        if (msg instanceof HttpRequest head) {
            onHead(head);
            return;
        }
        if (dropping && msg instanceof HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            ReferenceCountUtil.release(content);
            if (last) {
                dropping = false;
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void onHead(HttpRequest head) {
        String key = head.decoderResult().isSuccess() ? GatewayHandler.bearerToken(head) : null;
        if (key == null) {
            // nothing to authenticate (the handler answers 400, 404, 405 or 401 in turn); no body is needed
            decided(head, Verdict.NOT_LOOKED_UP);
            return;
        }
        CompletableFuture<Optional<ApiPrincipal>> lookup = SpiCalls.bounded(
                SpiCalls.call(() -> gateway.keyStore().authenticate(key)), gateway.admission().timeoutMillis());
        // an answer already there (the in-memory store) is handled at once; a later one waits for it here
        asking = !lookup.isDone();
        SpiCalls.onLoop(ctx.executor(), lookup, (principal, error) -> answered(head,
                new Verdict(principal == null ? Optional.<ApiPrincipal>empty() : principal, error)));
    }

    private void answered(HttpRequest head, Verdict verdict) {
        asking = false;
        heldBytes = 0;
        if (!ctx.channel().isActive()) {
            ReferenceCountUtil.release(head);
            releaseHeld();
            return;
        }
        // resumed before what was held goes on, so that a handler after this one may pause reading again
        // (an upload that finds its model field among the held parts pauses for its admission)
        if (pausedReading) {
            pausedReading = false;
            ctx.channel().config().setAutoRead(true);
        }
        decided(head, verdict);
        Object next;
        while (!asking && (next = held.poll()) != null) {
            read(next);
        }
    }

    /** Passes the head on with its verdict; drops its body unless the key was known. */
    private void decided(HttpRequest head, Verdict verdict) {
        verdicts.add(verdict);
        boolean keep = verdict.error() == null && verdict.principal().isPresent();
        if (keep) {
            gateway.usage().authenticated(verdict.principal().get().keyId());
        }
        if (!keep && !(head instanceof LastHttpContent)) {
            // the aggregator sees a request without a body (and sends no 100 Continue for one)
            dropping = true;
            head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING).remove(HttpHeaderNames.EXPECT)
                    .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        } else if (!keep && head instanceof LastHttpContent whole) {
            // a head and body in one message (HTTP/2 streams may decode so): drop the body's bytes
            whole.content().skipBytes(whole.content().readableBytes());
        }
        ctx.fireChannelRead(head);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHeld();
        verdicts.clear();
        ctx.fireChannelInactive();
    }

    private void releaseHeld() {
        Object msg;
        while ((msg = held.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
