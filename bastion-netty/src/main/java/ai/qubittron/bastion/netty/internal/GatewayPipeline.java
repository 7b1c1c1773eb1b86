package ai.qubittron.bastion.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import java.util.List;

/**
 * Builds the pipeline of a client connection. Handler names are the constants below; for plain HTTP/1.1
 * the order is
 *
 * <pre>
 *   socket ⇄ {@value #TIMEOUTS} ⇄ {@value #HTTP_CODEC} → {@value #HEAD_AUTH} → {@value #BODY_AGGREGATOR} → {@value #GATEWAY}
 * </pre>
 *
 * {@value #HTTP_CODEC} decodes HTTP/1.1 (on a plain listener once {@value #PRIOR_KNOWLEDGE} has seen
 * the connection's first bytes are not HTTP/2's preface); {@value #HEAD_AUTH} ({@link HeadAuthenticator}) authenticates
 * each request on its head and drops the body of one that fails; {@value #BODY_AGGREGATOR} gathers a JSON request body as a
 * composite of the received buffers (no copy) up to the configured limit, answering 413 beyond it, and lets
 * an upload (a transcription's {@code multipart/form-data} body) pass as it comes, to be relayed ({@link Upload});
 * {@value #GATEWAY} ({@link GatewayHandler}) does the rest.
 *
 * <p>{@value #TIMEOUTS} ({@link ClientTimeouts}) is first in every connection's pipeline: the request
 * read and idle timeouts. On HTTP/2 it moves: each stream's pipeline has its own (the request read
 * timeout), and the connection an {@link Http2ConnectionIdle} (closed after the idle timeout with no
 * stream open). With TLS, {@value #TLS} and {@value #ALPN} come next; once the handshake has chosen the protocol,
 * {@code http/1.1} (or no ALPN at all) gets the pipeline above, and {@code h2} (or, on a plain listener, a
 * client that opens with the HTTP/2 preface: "h2c with prior knowledge") gets Netty's HTTP/2 frame
 * codec and a multiplexer that gives each stream a child channel of its own, whose pipeline turns the
 * stream's frames into the same HTTP/1.1 messages ({@code Http2StreamFrameToHttpObjectCodec}) followed by
 * the same {@value #HEAD_AUTH}, {@value #BODY_AGGREGATOR} and {@value #GATEWAY}: one request per stream, relayed and limited
 * exactly as on HTTP/1.1. Connection-level headers ({@code Transfer-Encoding}, {@code Connection}) are
 * dropped by the conversion, as HTTP/2 requires.
 */
public final class GatewayPipeline extends ChannelInitializer<SocketChannel> {

    public static final String HTTP_CODEC = "http-codec";
    public static final String HEAD_AUTH = "head-auth";
    public static final String BODY_AGGREGATOR = "body-aggregator";
    public static final String GATEWAY = "gateway";
    public static final String TIMEOUTS = "timeouts";
    public static final String TLS = "tls";
    public static final String ALPN = "alpn";
    public static final String HTTP2 = "http2";
    public static final String HTTP2_STREAMS = "http2-streams";
    public static final String PRIOR_KNOWLEDGE = "prior-knowledge";

    /** Streams one HTTP/2 connection may have open at once (each holds a request in flight). */
    static final int MAX_CONCURRENT_STREAMS = 128;

    /** Longest request line and header block of a client's request (the redirect listener's too). */
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_SIZE = 16384;
    private static final int MAX_CHUNK_SIZE = 65536;
    /** The first bytes an HTTP/2 client sends ("PRI * HTTP/2.0…"); only read. */
    private static final ByteBuf HTTP2_PREFACE = Unpooled.unreleasableBuffer(Http2CodecUtil.connectionPrefaceBuf());

    private final GatewayContext gateway;
    private final SslContext tls;

    /** Plain HTTP/1.1. */
    public GatewayPipeline(GatewayContext gateway) {
        this(gateway, null);
    }

    /** HTTPS with ALPN ({@code h2}, {@code http/1.1}) when {@code tls} is not null, else plain HTTP/1.1. */
    public GatewayPipeline(GatewayContext gateway, SslContext tls) {
        this.gateway = gateway;
        this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        gateway.connections().add(ch);
        ChannelPipeline p = ch.pipeline();
        p.addLast(TIMEOUTS, new ClientTimeouts(gateway.requestReadTimeoutNanos(), gateway.clientIdleTimeoutNanos()));
        if (tls != null) {
            p.addLast(TLS, tls.newHandler(ch.alloc()));
            p.addLast(ALPN, new Negotiation());
            return;
        }
        // cleartext: HTTP/2 for a client that starts with its preface (prior knowledge, "h2c"), else HTTP/1.1
        p.addLast(PRIOR_KNOWLEDGE, new PriorKnowledge());
    }

    /** Completes a plain connection's pipeline once its first bytes tell HTTP/2's preface from HTTP/1.1. */
    private final class PriorKnowledge extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int n = Math.min(in.readableBytes(), HTTP2_PREFACE.readableBytes());
            if (!ByteBufUtil.equals(in, in.readerIndex(), HTTP2_PREFACE, 0, n)) {
                addHttpCodec(ctx.pipeline());
                addGateway(ctx.pipeline());
            } else if (n == HTTP2_PREFACE.readableBytes()) {
                addHttp2(ctx.pipeline());
            } else {
                return;
            }
            // what was read so far goes on to the codec just added
            ctx.pipeline().remove(this);
        }
    }

    /** Completes the pipeline once the TLS handshake has chosen the application protocol. */
    private final class Negotiation extends ApplicationProtocolNegotiationHandler {

        Negotiation() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            ChannelPipeline p = ctx.pipeline();
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                addHttp2(p);
            } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
                addHttpCodec(p);
                addGateway(p);
            } else {
                throw new IllegalStateException("unexpected application protocol: " + protocol);
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // a client that cannot agree on TLS 1.2+ or a cipher: nothing to answer, nothing to log per attempt
            ctx.close();
        }
    }

    /**
     * HTTP/2: the requests are streams with pipelines of their own, each with its request read timeout;
     * the connection closes once it has had no stream for the idle timeout.
     */
    private void addHttp2(ChannelPipeline p) {
        p.remove(TIMEOUTS);
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .maxHeaderListSize(MAX_HEADER_SIZE))
                .build();
        p.addLast(HTTP2, codec);
        p.addLast(TIMEOUTS, new Http2ConnectionIdle(codec.connection(), gateway.clientIdleTimeoutNanos()));
        p.addLast(HTTP2_STREAMS, new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                ChannelPipeline sp = stream.pipeline();
                sp.addLast(TIMEOUTS, new ClientTimeouts(gateway.requestReadTimeoutNanos(), gateway.clientIdleTimeoutNanos()));
                sp.addLast(HTTP_CODEC, new Http2StreamFrameToHttpObjectCodec(true));
                sp.addLast(HEAD_AUTH, new HeadAuthenticator(gateway));
                sp.addLast(BODY_AGGREGATOR, new BodyAggregator(gateway.maxRequestBytes()));
                addGateway(sp);
            }
        }));
    }

    /** The body aggregator of a gateway's pipeline (also a mounted gateway's). */
    static HttpObjectAggregator bodyAggregator(GatewayContext gateway) {
        return new BodyAggregator(gateway.maxRequestBytes());
    }

    private void addHttpCodec(ChannelPipeline p) {
        p.addLast(HTTP_CODEC, new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE));
        p.addLast(HEAD_AUTH, new HeadAuthenticator(gateway));
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

        /** An upload (a transcription's multipart body) passes as it comes: {@link GatewayHandler} relays it. */
        @Override
        public boolean acceptInboundMessage(Object msg) throws Exception {
            if (msg instanceof HttpRequest request && !(msg instanceof FullHttpRequest) && GatewayHandler.isUpload(request)) {
                return false;
            }
            return super.acceptInboundMessage(msg);
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
