package ai.qubittron.bastion.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The gateway mounted under a path prefix in a host's own Netty HTTP pipeline, right after the host's
 * HTTP codec and before the host's handlers:
 *
 * <pre>
 *   host's codec → mount → head-auth → body-aggregator → gateway → unwrap → host's handlers
 * </pre>
 *
 * A request whose path is the prefix or starts with {@code prefix/} goes to the gateway with the prefix
 * taken off ({@code /llm/v1/chat/completions} is served as {@code /v1/chat/completions}); any other
 * request, with its body, passes through the gateway's handlers untouched, wrapped in a
 * {@link Passthrough} that {@code unwrap} opens again for the host's handlers. Responses the host writes
 * pass the gateway's handlers unchanged on their way out.
 *
 * <p>The host keeps its connection: a mounted gateway never closes it for its own reasons but for a
 * request it cannot answer in order (a malformed one), and its stop lets its requests finish without
 * closing the host's connections. A client that pipelines requests to both sides on one connection
 * may get the answers out of order (each side answers its own in order); clients that wait for each
 * answer, as browsers and the OpenAI SDKs do, are not affected. Thread role: the host connection's
 * event loop.
 */
public final class Mount extends ChannelInboundHandlerAdapter {

    /** A message of the host's, carried past the gateway's handlers. */
    record Passthrough(Object message) {
    }

    private final GatewayContext gateway;
    private final String prefix;
    /** Whether the request whose parts are arriving is the gateway's. */
    private boolean routed;

    /**
     * @param prefix the path the gateway is mounted at, e.g. {@code /llm} (no trailing slash)
     */
    public Mount(GatewayContext gateway, String prefix) {
        if (prefix == null || !prefix.startsWith("/") || prefix.endsWith("/") || prefix.length() < 2) {
            throw new IllegalArgumentException("prefix: must start with '/', not end with one, and name a path; got '"
                    + prefix + "'");
        }
        this.gateway = gateway;
        this.prefix = prefix;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        // in order: the gateway's handler finds its head authenticator already there
        String auth = "bastion-" + GatewayPipeline.HEAD_AUTH;
        String aggregator = "bastion-" + GatewayPipeline.BODY_AGGREGATOR;
        String handler = "bastion-" + GatewayPipeline.GATEWAY;
        p.addAfter(ctx.name(), auth, new HeadAuthenticator(gateway));
        p.addAfter(auth, aggregator, GatewayPipeline.bodyAggregator(gateway));
        p.addAfter(aggregator, handler, new GatewayHandler(gateway, true));
        p.addAfter(handler, "bastion-unwrap", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                c.fireChannelRead(msg instanceof Passthrough pass ? pass.message() : msg);
            }
        });
        gateway.connections().add(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            String uri = request.uri();
            routed = uri.startsWith(prefix) && (uri.length() == prefix.length() || "/?".indexOf(uri.charAt(prefix.length())) >= 0);
            if (routed) {
                String rest = uri.substring(prefix.length());
                request.setUri(rest.isEmpty() || rest.charAt(0) == '?' ? "/" + rest : rest);
            }
        }
        boolean gateways = routed;
        if (msg instanceof LastHttpContent) {
            routed = false;
        }
        if (gateways || !(msg instanceof HttpRequest || msg instanceof HttpContent)) {
            ctx.fireChannelRead(msg);
        } else {
            ctx.fireChannelRead(new Passthrough(msg));
        }
    }
}
