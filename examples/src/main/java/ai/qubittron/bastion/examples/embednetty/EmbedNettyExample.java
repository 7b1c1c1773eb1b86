package ai.qubittron.bastion.examples.embednetty;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * An existing Netty HTTP server, with its own handlers and event loops, that mounts Bastion under
 * {@code /llm}: {@code /llm/v1/chat/completions} is the gateway, every other path is the host's.
 *
 * <pre>
 *   HttpServerCodec → bastion.mount("/llm") → [the host's HttpObjectAggregator → HostHandler]
 * </pre>
 *
 * The gateway is built with {@code listen(false)} (no listener of its own) and the host's event loops,
 * so its upstream connections run on them too.
 */
public final class EmbedNettyExample implements AutoCloseable {

    private final EventLoopGroup loops;
    private final SimulatedWorker worker;
    private final Bastion gateway;
    private final Channel server;
    private final String key;

    private EmbedNettyExample(int port) {
        // the host's loops: NIO here, to show the gateway follows the host's transport
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        // a simulated GPU worker stands in for a vLLM server
        worker = SimulatedWorker.builder().port(0).build().start();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        key = keys.create(new ApiPrincipal("key_example", "acct_example", ApiPrincipal.DEFAULT_TIER, Set.of()));
        gateway = Bastion.builder()
                .listen(false)
                .eventLoopGroups(null, loops)
                .keyStore(keys)
                .worker("gpt-oss-120b", URI.create(worker.baseUrl()))
                .build()
                .start();
        server = new ServerBootstrap()
                .group(loops)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new HttpServerCodec())
                                .addLast(gateway.mount("/llm"))
                                .addLast(new HttpObjectAggregator(1024 * 1024))
                                .addLast(new HostHandler());
                    }
                })
                .bind("127.0.0.1", port).syncUninterruptibly().channel();
    }

    /** Starts the host on {@code port} (0: any free one). */
    public static EmbedNettyExample start(int port) {
        return new EmbedNettyExample(port);
    }

    public static void main(String[] args) throws InterruptedException {
        try (EmbedNettyExample host = start(8080)) {
            System.out.println("host on http://127.0.0.1:" + host.port() + "/  (its own pages)");
            System.out.println("Bastion on " + host.gatewayBaseUrl() + "  key: " + host.key());
            System.out.println("curl " + host.gatewayBaseUrl() + "/chat/completions -H \"Authorization: Bearer " + host.key()
                    + "\" -H \"Content-Type: application/json\" -d '{\"model\":\"gpt-oss-120b\",\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"hi\"}]}'");
            Thread.currentThread().join();
        }
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The OpenAI base URL of the mounted gateway. */
    public String gatewayBaseUrl() {
        return "http://127.0.0.1:" + port() + "/llm/v1";
    }

    public String key() {
        return key;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        gateway.close();
        loops.shutdownGracefully().syncUninterruptibly();
        worker.close();
    }

    /** The host's own application: answers everything that is not under {@code /llm}. */
    private static final class HostHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            byte[] body = ("host page for " + request.uri() + "\n").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            HttpUtil.setContentLength(response, body.length);
            HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
            ctx.writeAndFlush(response);
        }
    }
}
