package ai.qubittron.bastion.bench.e2e;

import ai.qubittron.bastion.netty.internal.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * The floor under any gateway built on Netty: an HTTP/1.1 reverse proxy that does nothing but relay,
 * measured by the overhead benchmark beside nginx and Bastion on the same JVM, transport and allocator
 * as the gateway. Each client connection gets one upstream connection of its own, opened when the client
 * connects, on the same event loop; every decoded request part is written upstream as it comes (the
 * {@code Authorization} header removed, {@code Host} set) and every response part back, flushed when a
 * read ends. No authentication, no JSON, no limits, no ledger, no scheduling, no meters: what it costs
 * is what the HTTP codecs, the pipeline, the buffers and the JVM cost, which Bastion pays too.
 *
 * <pre>
 * java -cp benchmarks.jar ai.qubittron.bastion.bench.e2e.NettyRelay --upstream URL [--port P] [--io-threads N]
 * </pre>
 *
 * Prints {@value #READY} and the port once it accepts, and runs until its standard input closes.
 */
public final class NettyRelay {

    /** The line printed, followed by the port, once the relay accepts connections. */
    public static final String READY = "netty-relay listening on ";

    private NettyRelay() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = 0;
        int ioThreads = Runtime.getRuntime().availableProcessors();
        URI upstream = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(Options.value(args, ++i));
                case "--io-threads" -> ioThreads = Options.positive(args, ++i);
                case "--upstream" -> upstream = URI.create(Options.value(args, ++i));
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
        }
        if (upstream == null) {
            throw new IllegalArgumentException("--upstream is required");
        }
        InetSocketAddress target = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        String host = upstream.getHost() + ":" + upstream.getPort();
        Transport transport = Transport.best();
        EventLoopGroup accept = transport.newGroup(1, "relay-accept");
        EventLoopGroup io = transport.newGroup(ioThreads, "relay-io");
        try {
            Channel server = new ServerBootstrap().group(accept, io).channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new Frontend(transport, target, host));
                        }
                    })
                    .bind("127.0.0.1", port).sync().channel();
            System.out.println(READY + ((InetSocketAddress) server.localAddress()).getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the benchmark closes our standard input, or exits
            }
        } finally {
            accept.shutdownGracefully();
            io.shutdownGracefully();
        }
    }

    /** The client side: opens the upstream connection, then relays the client's request parts to it. */
    private static final class Frontend extends ChannelInboundHandlerAdapter {
        private final Transport transport;
        private final InetSocketAddress target;
        private final String host;
        private Channel upstream;

        Frontend(Transport transport, InetSocketAddress target, String host) {
            this.transport = transport;
            this.target = target;
            this.host = host;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            ChannelFuture connected = new Bootstrap().group(client.eventLoop()).channel(transport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new Backend(client));
                        }
                    })
                    .connect(target);
            upstream = connected.channel();
            connected.addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    client.read();
                } else {
                    client.close();
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                request.headers().remove(HttpHeaderNames.AUTHORIZATION).set(HttpHeaderNames.HOST, host);
            }
            upstream.write(msg, upstream.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            upstream.flush();
            ctx.read();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (upstream != null) {
                upstream.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The upstream side: relays the response parts to the client. */
    private static final class Backend extends ChannelInboundHandlerAdapter {
        private final Channel client;

        Backend(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (client.isActive()) {
                client.write(msg, client.voidPromise());
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            client.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            client.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
