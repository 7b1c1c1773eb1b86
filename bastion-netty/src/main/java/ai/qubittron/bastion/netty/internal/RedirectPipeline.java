package ai.qubittron.bastion.netty.internal;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;

/**
 * The plain-HTTP listener of a gateway that serves HTTPS: every request is answered
 * {@code 308 Permanent Redirect} to the same path and query on the HTTPS port (308, unlike 301, tells
 * clients to repeat the method and body). It never authenticates, routes or forwards anything, and reads
 * no body: the answer goes out as soon as the request head is decoded, with {@code Connection: close},
 * and the connection closes once it is written.
 *
 * <p>The redirect's host is the one the client asked for (its {@code Host} header, without the port)
 * when that is a plain host name or address, else the gateway's configured host.
 */
public final class RedirectPipeline extends ChannelInitializer<SocketChannel> {

    /** A host name, IPv4 address or bracketed IPv6 address: nothing that could smuggle a header or a path. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]");

    private final String fallbackHost;
    private final IntSupplier httpsPort;

    /**
     * @param fallbackHost the host of the redirect when the request names none usable
     * @param httpsPort    the HTTPS listener's port (asked per request: it is known once bound)
     */
    public RedirectPipeline(String fallbackHost, IntSupplier httpsPort) {
        this.fallbackHost = fallbackHost;
        this.httpsPort = httpsPort;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast(new HttpServerCodec(GatewayPipeline.MAX_INITIAL_LINE, GatewayPipeline.MAX_HEADER_SIZE, 8192), new Redirect());
    }

    /** The {@code Location} for a request: {@code https://host[:port]} and the request's path and query. */
    String location(String hostHeader, String uri) {
        String host = hostOf(hostHeader);
        int port = httpsPort.getAsInt();
        StringBuilder location = new StringBuilder("https://").append(host);
        if (port != 443) {
            location.append(':').append(port);
        }
        return location.append(pathOf(uri)).toString();
    }

    private String hostOf(String hostHeader) {
        if (hostHeader != null) {
            String host = hostHeader.trim();
            if (!host.startsWith("[")) {
                int colon = host.lastIndexOf(':');
                host = colon >= 0 ? host.substring(0, colon) : host;
            } else if (host.indexOf(']') > 0) {
                host = host.substring(0, host.indexOf(']') + 1);
            }
            if (HOST.matcher(host).matches()) {
                return host;
            }
        }
        return fallbackHost.contains(":") && !fallbackHost.startsWith("[") ? "[" + fallbackHost + "]" : fallbackHost;
    }

    /** The path and query of an origin-form or absolute-form request target; "/" for anything else. */
    private static String pathOf(String uri) {
        if (uri.startsWith("/")) {
            // "//evil.example" would read as a host in the Location: keep one slash
            return uri.startsWith("//") ? "/" + uri.replaceFirst("^/+", "") : uri;
        }
        int scheme = uri.indexOf("://");
        if (scheme > 0) {
            int path = uri.indexOf('/', scheme + 3);
            return path < 0 ? "/" : pathOf(uri.substring(path));
        }
        return "/";
    }

    private final class Redirect extends ChannelInboundHandlerAdapter {
        private boolean answered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (answered || !(msg instanceof HttpRequest request)) {
                    return;
                }
                answered = true;
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.PERMANENT_REDIRECT);
                response.headers()
                        .set(HttpHeaderNames.LOCATION, request.decoderResult().isSuccess()
                                ? location(request.headers().get(HttpHeaderNames.HOST), request.uri())
                                : location(null, "/"))
                        .set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO)
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
