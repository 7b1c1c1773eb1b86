package ai.qubittron.bastion.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/2 connection that has had no open stream for the idle timeout (the HTTP/1.1 idle timeout
 * of {@link ClientTimeouts}, for connections whose requests are streams): a client cannot keep one
 * open, with its TLS state and buffers, without using it. Closing sends GOAWAY. Checked four times per
 * timeout on a timer of its own (not per frame), so it closes between one and 1.25 timeouts after the
 * last stream ended. Each stream's own request read timeout is its pipeline's {@link ClientTimeouts}.
 */
final class Http2ConnectionIdle extends ChannelInboundHandlerAdapter {

    private final Http2Connection connection;
    private final long idleTimeoutNanos;
    private ChannelHandlerContext ctx;
    private long idleSince;
    private ScheduledFuture<?> timer;

    Http2ConnectionIdle(Http2Connection connection, long idleTimeoutNanos) {
        this.connection = connection;
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        idleSince = System.nanoTime();
        arm();
    }

    private void arm() {
        timer = ctx.executor().schedule(this::check, Math.max(1, idleTimeoutNanos / 4), TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (connection.numActiveStreams() > 0) {
            idleSince = now;
        } else if (now - idleSince >= idleTimeoutNanos) {
            ctx.close();
            return;
        }
        arm();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        ScheduledFuture<?> t = timer;
        timer = null;
        if (t != null) {
            t.cancel(false);
        }
    }
}
