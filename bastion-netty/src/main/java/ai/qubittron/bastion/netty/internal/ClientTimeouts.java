package ai.qubittron.bastion.netty.internal;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The time limits of a client connection, first in its pipeline (before any decoding), so that a client
 * cannot hold a connection, its buffers and a file descriptor past them:
 * <ul>
 *   <li><b>request read timeout</b>: from the first byte of a request to the whole request (head and body)
 *       received. A slow-loris client, sending a byte now and then so that the connection never goes idle,
 *       is closed once it runs out. An upload (a transcription's audio, relayed as it arrives and up to
 *       25 MB) has it between two reads of its body instead ({@link #bodyProgress});</li>
 *   <li><b>idle timeout</b>: how long a kept-alive connection may wait for its next request, with nothing
 *       in flight. A request being answered — a long generation, a stream — is never cut by it.</li>
 * </ul>
 * {@link GatewayHandler} says when a whole request has arrived ({@link #requestReceived}) and when the
 * connection is idle again ({@link #idle}). One timer per connection, re-armed only when it fires (not per
 * read). Thread role: the connection's event loop.
 */
final class ClientTimeouts extends ChannelDuplexHandler {

    private final long requestReadTimeoutNanos;
    private final long idleTimeoutNanos;
    private ChannelHandlerContext ctx;
    /** When the request being received began (its first byte), or 0: none is being received. */
    private long requestSince;
    /** When the connection became idle (no request being received or answered), or 0: it is not. */
    private long idleSince;
    private ScheduledFuture<?> timer;

    ClientTimeouts(long requestReadTimeoutNanos, long idleTimeoutNanos) {
        this.requestReadTimeoutNanos = requestReadTimeoutNanos;
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            begin();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        begin();
        ctx.fireChannelActive();
    }

    private void begin() {
        if (timer == null) {
            idleSince = System.nanoTime();
            arm(Math.min(requestReadTimeoutNanos, idleTimeoutNanos));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (requestSince == 0 && idleSince != 0) {
            // the first bytes of a request on an idle connection
            requestSince = System.nanoTime();
            idleSince = 0;
        }
        ctx.fireChannelRead(msg);
    }

    /** A whole request has arrived: it is being answered (the read timeout stops). */
    void requestReceived() {
        requestSince = 0;
        idleSince = 0;
    }

    /**
     * Part of a streamed request body (an upload) has arrived: the request read timeout starts again, so
     * for an upload it bounds the time between two reads rather than the whole upload.
     */
    void bodyProgress() {
        if (requestSince != 0) {
            requestSince = System.nanoTime();
        }
    }

    /** The connection waits for its next request (the idle timeout starts). */
    void idle() {
        if (requestSince == 0) {
            idleSince = System.nanoTime();
        }
    }

    private void arm(long delayNanos) {
        timer = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        long next = Math.min(requestReadTimeoutNanos, idleTimeoutNanos);
        if (requestSince != 0) {
            long left = requestReadTimeoutNanos - (now - requestSince);
            if (left <= 0) {
                ctx.close();
                return;
            }
            next = left;
        } else if (idleSince != 0) {
            long left = idleTimeoutNanos - (now - idleSince);
            if (left <= 0) {
                ctx.close();
                return;
            }
            next = left;
        }
        arm(next);
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
