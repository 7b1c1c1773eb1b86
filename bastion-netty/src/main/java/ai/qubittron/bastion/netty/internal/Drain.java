package ai.qubittron.bastion.netty.internal;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A gateway's graceful stop, once it has stopped accepting: every connection is told to finish, idle
 * ones close at once, requests in flight run to their end (streams included) for up to the drain
 * time, and then whatever is left ends with a 503 or, for a stream, a final error event, billed as it
 * stands (each request settled once, by its exchange). Runs on the thread that closes the gateway; each
 * step on a connection runs on that connection's event loop.
 */
public final class Drain {

    private static final long POLL_MILLIS = 20;

    private Drain() {
    }

    /**
     * Drains the gateway's connections.
     *
     * @return whether every request finished within {@code timeout} (none had to be cut)
     */
    public static boolean run(GatewayContext gateway, Duration timeout) {
        gateway.startDraining();
        ChannelGroup connections = gateway.connections();
        long deadline = System.nanoTime() + timeout.toNanos();
        await(each(connections, Drain::finish));
        boolean clean = !busy(connections);
        while (!clean && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            // an HTTP/2 connection closes once its last stream has ended
            await(each(connections, Drain::closeIfIdle));
            clean = !busy(connections);
        }
        await(each(connections, Drain::cut));
        // (a mounted gateway's connections are its host's: they stay open)
        for (Channel ch : connections) {
            if (ch.pipeline().get(Mount.class) == null) {
                ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
        return clean;
    }

    private interface Step {
        void run(Channel connection);
    }

    private static List<Future<?>> each(ChannelGroup connections, Step step) {
        List<Future<?>> done = new ArrayList<>();
        for (Channel ch : connections) {
            done.add(ch.eventLoop().submit(() -> step.run(ch)));
        }
        return done;
    }

    /** Whether a request of the gateway's is still in flight on some connection. */
    private static boolean busy(ChannelGroup connections) {
        List<Future<Boolean>> answers = new ArrayList<>();
        for (Channel ch : connections) {
            answers.add(ch.eventLoop().submit(() -> {
                GatewayHandler http1 = ch.pipeline().get(GatewayHandler.class);
                Http2FrameCodec http2 = ch.pipeline().get(Http2FrameCodec.class);
                return (http1 != null && http1.busy()) || (http2 != null && http2.connection().numActiveStreams() > 0)
                        || ch.pipeline().get("linger") != null;
            }));
        }
        for (Future<Boolean> answer : answers) {
            if (!answer.awaitUninterruptibly(2, TimeUnit.SECONDS) || !answer.isSuccess() || answer.getNow()) {
                // (a connection that closed meanwhile fails its task: it is not busy)
                if (answer.isSuccess() || !answer.isDone()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void await(List<Future<?>> steps) {
        for (Future<?> step : steps) {
            step.awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    /** Tells a connection to finish what it is doing and take nothing new. */
    private static void finish(Channel ch) {
        GatewayHandler http1 = ch.pipeline().get(GatewayHandler.class);
        Http2FrameCodec http2 = ch.pipeline().get(Http2FrameCodec.class);
        if (http1 != null) {
            http1.drain();
        } else if (http2 != null) {
            // no new streams; those open go on
            ch.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            closeIfIdle(ch);
        } else {
            // a TLS handshake or a protocol choice under way: nothing in flight
            ch.close();
        }
    }

    private static void closeIfIdle(Channel ch) {
        Http2FrameCodec http2 = ch.pipeline().get(Http2FrameCodec.class);
        if (http2 != null && http2.connection().numActiveStreams() == 0) {
            ch.close();
        }
    }

    /** Time is up: ends what is in flight and closes. */
    private static void cut(Channel ch) {
        GatewayHandler http1 = ch.pipeline().get(GatewayHandler.class);
        if (http1 != null) {
            http1.abandonForShutdown();
        } else {
            // HTTP/2: each stream's exchange sees its client leave, and bills as it stands
            ch.close();
        }
    }
}
