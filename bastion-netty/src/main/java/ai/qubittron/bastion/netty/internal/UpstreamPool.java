package ai.qubittron.bastion.netty.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive HTTP/1.1 connections to the upstream workers, owned by ONE event loop: the loop that
 * accepted the client connections it serves. Connections are made on that loop, so a relay never hops
 * threads and the pool needs no lock; every method must be called on {@link #loop()}.
 *
 * <p>Connections are taken most-recently-used first (warm ones), and at most
 * {@code maxIdlePerWorker} idle ones are kept per worker; a connection found closed is dropped. A
 * connection with no traffic either way for the idle timeout is closed: in use, its request fails
 * (the worker is stuck); in the pool, it is stale.
 */
final class UpstreamPool {

    static final String IDLE = "upstream-idle";
    static final String CODEC = "upstream-codec";
    static final String RELAY = "upstream-relay";

    private static final AttributeKey<UpstreamWorker> WORKER = AttributeKey.valueOf(UpstreamPool.class, "worker");

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int maxIdlePerWorker;
    private final Map<UpstreamWorker, ArrayDeque<Channel>> idle = new HashMap<>();

    /**
     * @param idleTimeoutMillis how long a connection may go without a byte either way: a request
     *                          waiting that long for the worker fails, an idle pooled connection closes
     */
    UpstreamPool(EventLoop loop, Transport transport, int connectTimeoutMillis, int maxIdlePerWorker,
                 long idleTimeoutMillis) {
        this.loop = loop;
        this.maxIdlePerWorker = maxIdlePerWorker;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(IDLE, new IdleStateHandler(0, 0, idleTimeoutMillis, TimeUnit.MILLISECONDS))
                                .addLast(CODEC, new HttpClientCodec())
                                .addLast(RELAY, new RelayHandler(worker(ch)));
                    }
                });
    }

    EventLoop loop() {
        return loop;
    }

    /**
     * A connection to the worker: an idle one when there is one, else a new one.
     *
     * @param fresh {@code true} to skip idle connections (a retry after a reused one failed)
     * @return a future completed on {@link #loop()}; a reused connection is flagged by {@link #isReused}
     */
    Future<Channel> acquire(UpstreamWorker worker, boolean fresh) {
        ArrayDeque<Channel> channels = idle.get(worker);
        if (!fresh && channels != null) {
            Channel ch;
            while ((ch = channels.pollLast()) != null) {
                if (ch.isActive()) {
                    relay(ch).reused = true;
                    return loop.newSucceededFuture(ch);
                }
            }
        }
        Promise<Channel> promise = loop.newPromise();
        ChannelFuture connect = bootstrap.clone().attr(WORKER, worker).connect(worker.address());
        connect.addListener(f -> {
            if (f.isSuccess()) {
                promise.setSuccess(connect.channel());
            } else {
                promise.setFailure(f.cause());
            }
        });
        return promise;
    }

    /** Whether the connection was taken from the idle list (it may have been closed by the worker meanwhile). */
    static boolean isReused(Channel ch) {
        return relay(ch).reused;
    }

    /** Attaches the listener that receives this connection's responses until {@link #release} or close. */
    static void attach(Channel ch, UpstreamListener listener) {
        relay(ch).listener = listener;
    }

    /**
     * Gives a connection back after a complete response. It is kept for reuse when the response allowed
     * keep-alive, else closed.
     */
    void release(UpstreamWorker worker, Channel ch, boolean keepAlive) {
        RelayHandler relay = relay(ch);
        relay.listener = null;
        if (!keepAlive || !ch.isActive()) {
            ch.close();
            return;
        }
        ch.config().setAutoRead(true);
        ArrayDeque<Channel> channels = idle.computeIfAbsent(worker, w -> new ArrayDeque<>());
        if (channels.size() >= maxIdlePerWorker) {
            ch.close();
            return;
        }
        channels.addLast(ch);
    }

    /** Closes a connection whose response is abandoned (client gone, error); the worker sees the close. */
    static void abort(Channel ch) {
        relay(ch).listener = null;
        ch.close();
    }

    private static UpstreamWorker worker(Channel ch) {
        return ch.attr(WORKER).get();
    }

    private static RelayHandler relay(Channel ch) {
        return (RelayHandler) ch.pipeline().get(RELAY);
    }

    /**
     * Passes a connection's responses to the listener attached to it; without one (the connection is
     * idle in the pool), drops anything the worker sends, and takes the connection out of the pool when
     * it closes.
     */
    private final class RelayHandler extends ChannelInboundHandlerAdapter {
        private final UpstreamWorker worker;
        UpstreamListener listener;
        boolean reused;

        RelayHandler(UpstreamWorker worker) {
            this.worker = worker;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            UpstreamListener current = listener;
            if (current != null && msg instanceof HttpObject http) {
                current.onUpstreamMessage(http);
            } else {
                ReferenceCountUtil.release(msg);
                ctx.close();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            UpstreamListener current = listener;
            if (current != null) {
                current.onUpstreamReadComplete();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            UpstreamListener current = listener;
            if (current != null) {
                current.onUpstreamWritabilityChanged();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            UpstreamListener current = listener;
            listener = null;
            if (current != null) {
                current.onUpstreamClosed(null);
            } else {
                ArrayDeque<Channel> channels = idle.get(worker);
                if (channels != null) {
                    channels.remove(ctx.channel());
                }
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                UpstreamListener current = listener;
                if (current != null) {
                    current.onUpstreamIdle();
                } else {
                    ctx.close();
                }
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            UpstreamListener current = listener;
            listener = null;
            ctx.close();
            if (current != null) {
                current.onUpstreamClosed(cause);
            }
        }
    }
}
