package ai.qubittron.bastion.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Builds the pipeline of a client connection. Handler names are the constants below; the order is
 *
 * <pre>
 *   socket ⇄ {@value #HTTP_CODEC} ⇄ {@value #BODY_AGGREGATOR} → {@value #GATEWAY}
 * </pre>
 *
 * {@value #HTTP_CODEC} decodes HTTP/1.1; {@value #BODY_AGGREGATOR} gathers a request body as a
 * composite of the received buffers (no copy) up to the configured limit, answering 413 beyond it;
 * {@value #GATEWAY} ({@link GatewayHandler}) does the rest.
 */
public final class GatewayPipeline extends ChannelInitializer<SocketChannel> {

    public static final String HTTP_CODEC = "http-codec";
    public static final String BODY_AGGREGATOR = "body-aggregator";
    public static final String GATEWAY = "gateway";

    private static final int MAX_INITIAL_LINE = 8192;
    private static final int MAX_HEADER_SIZE = 16384;
    private static final int MAX_CHUNK_SIZE = 65536;

    private final GatewayContext gateway;

    public GatewayPipeline(GatewayContext gateway) {
        this.gateway = gateway;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        addHttpCodec(p);
        addGateway(p);
    }

    private void addHttpCodec(ChannelPipeline p) {
        p.addLast(HTTP_CODEC, new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE));
        p.addLast(BODY_AGGREGATOR, new BodyAggregator(gateway.maxRequestBytes()));
    }

    private void addGateway(ChannelPipeline p) {
        p.addLast(GATEWAY, new GatewayHandler(gateway));
    }

    /**
     * Aggregates request bodies. It never writes while the gateway is answering an earlier request on
     * the connection: an oversized body is passed on as a {@link GatewayHandler.Oversized}, answered 413
     * in turn, and {@code 100 Continue} is sent only when the connection is idle (a client that gets
     * none sends its body after a short wait, as the HTTP specification lets it).
     */
    private static final class BodyAggregator extends HttpObjectAggregator {

        BodyAggregator(int maxBytes) {
            super(maxBytes);
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            GatewayHandler gateway = pipeline.get(GatewayHandler.class);
            if ((gateway != null && gateway.busy()) || HttpUtil.getContentLength(start, -1L) > maxContentLength) {
                return null;
            }
            return super.newContinueResponse(start, maxContentLength, pipeline);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            ctx.fireChannelRead(new GatewayHandler.Oversized(
                    HttpUtil.isKeepAlive(oversized) && !HttpUtil.is100ContinueExpected(oversized),
                    oversized instanceof HttpRequest request ? GatewayHandler.meterTag(request.uri())
                            : GatewayMeters.EndpointTag.OTHER));
        }
    }
}
