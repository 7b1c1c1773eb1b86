package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.error.ErrorKind;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

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

    /** Aggregates request bodies; an oversized one gets the catalogue's 413 and the connection is closed. */
    private static final class BodyAggregator extends HttpObjectAggregator {
        private final int maxBytes;

        BodyAggregator(int maxBytes) {
            super(maxBytes);
            this.maxBytes = maxBytes;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            FullHttpResponse response = HttpResponses.error(ErrorKind.REQUEST_TOO_LARGE,
                    "The request body is larger than the " + maxBytes + " bytes this gateway accepts.", null);
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
