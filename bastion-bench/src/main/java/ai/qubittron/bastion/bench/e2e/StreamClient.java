package ai.qubittron.bastion.bench.e2e;

import ai.qubittron.bastion.netty.internal.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The streams benchmark's client: holds {@code streams} keep-alive connections, each sending one streamed
 * chat request after another, and times every SSE event as it arrives. One event loop thread, so the
 * histograms need no synchronisation.
 *
 * <p>Per stream it records, during the measured window only: the time from writing the request to the
 * first whole event (TTFB), and for each later event the gap since the previous one less the inter-token
 * latency of the worker that produced the stream (known from the salt of the completion's {@code id},
 * see {@link #salt}); a gap shorter than that counts as 0 (events that arrived together).
 */
final class StreamClient implements AutoCloseable {

    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(5);

    private final EventLoopGroup group = Transport.best().newGroup(1, "bench-client");
    private final Transport transport = Transport.best();

    /** What one phase measured. */
    static final class Result {
        final Histogram ttfbMicros = new Histogram(MAX_MICROS, 3);
        final Histogram addedGapMicros = new Histogram(MAX_MICROS, 3);
        long streamsCompleted;
        /** Events in the measured window. */
        long events;
        /** Events of the whole phase: ramp, window and the streams' ends after it. */
        long allEvents;
        long errors;
        long unknownWorker;
        String firstError;
    }

    /**
     * Runs one phase: opens {@code streams} connections spread evenly over {@code rampNanos} (connection
     * {@code i} to {@code targets[i % targets.size()]}), measures during the {@code measureNanos} after the
     * ramp, then lets every stream finish and closes. {@code itlMicrosBySalt} maps a worker's id salt to its
     * inter-token latency.
     */
    Result run(List<InetSocketAddress> targets, String path, String key, String body, int streams, long rampNanos,
               long measureNanos, Map<String, Long> itlMicrosBySalt) throws InterruptedException {
        Result result = new Result();
        long start = System.nanoTime();
        long measureFrom = start + rampNanos;
        long measureUntil = measureFrom + measureNanos;
        CountDownLatch done = new CountDownLatch(streams);
        byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        Bootstrap bootstrap = new Bootstrap().group(group).channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
        for (int i = 0; i < streams; i++) {
            InetSocketAddress target = targets.get(i % targets.size());
            long at = start + rampNanos * i / streams;
            long delay = at - System.nanoTime();
            if (delay > 0) {
                TimeUnit.NANOSECONDS.sleep(delay);
            }
            bootstrap.clone().handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new Stream(result, target, path, key, bodyBytes,
                            measureFrom, measureUntil, itlMicrosBySalt, done));
                }
            }).connect(target).addListener(f -> {
                if (!f.isSuccess()) {
                    group.execute(() -> {
                        result.errors++;
                        if (result.firstError == null) {
                            result.firstError = "connect: " + f.cause();
                        }
                        done.countDown();
                    });
                }
            });
        }
        long left = measureUntil - System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        if (!done.await(Math.max(1, left), TimeUnit.NANOSECONDS)) {
            group.execute(() -> {
                if (result.firstError == null) {
                    result.firstError = done.getCount() + " streams had not finished 120 s after the window";
                }
            });
        }
        // read the figures on the client's thread, where they were written
        Result[] copy = new Result[1];
        group.submit(() -> copy[0] = result).sync();
        return copy[0];
    }

    /** One connection: a stream, then the next, until the window is over. */
    private static final class Stream extends SimpleChannelInboundHandler<HttpObject> {
        private final Result result;
        private final InetSocketAddress target;
        private final String path;
        private final String key;
        private final byte[] body;
        private final long measureFrom;
        private final long measureUntil;
        private final Map<String, Long> itlMicrosBySalt;
        private final CountDownLatch done;

        private long sentNanos;
        private long lastEventNanos;
        private int eventsThisStream;
        private boolean lastWasLineFeed;
        private long itlMicros = -1;
        private StringBuilder firstEvent;
        private boolean failed;
        private boolean counted;
        private boolean inStream;

        Stream(Result result, InetSocketAddress target, String path, String key, byte[] body, long measureFrom,
               long measureUntil, Map<String, Long> itlMicrosBySalt, CountDownLatch done) {
            this.result = result;
            this.target = target;
            this.path = path;
            this.key = key;
            this.body = body;
            this.measureFrom = measureFrom;
            this.measureUntil = measureUntil;
            this.itlMicrosBySalt = itlMicrosBySalt;
            this.done = done;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                    Unpooled.wrappedBuffer(body));
            request.headers()
                    .set(HttpHeaderNames.HOST, target.getHostString() + ":" + target.getPort())
                    .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key)
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            eventsThisStream = 0;
            lastWasLineFeed = false;
            itlMicros = -1;
            firstEvent = new StringBuilder();
            sentNanos = System.nanoTime();
            inStream = true;
            ctx.writeAndFlush(request);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse response && response.status().code() != 200) {
                fail("HTTP " + response.status());
            }
            if (msg instanceof HttpContent content) {
                long now = System.nanoTime();
                scan(content.content(), now);
                if (msg instanceof LastHttpContent) {
                    inStream = false;
                    if (!failed && eventsThisStream > 0) {
                        result.streamsCompleted++;
                    }
                    if (!failed && now < measureUntil) {
                        send(ctx);
                    } else {
                        ctx.close();
                    }
                }
            }
        }

        /** Finds the ends of events ("\n\n") in what arrived, across reads. */
        private void scan(ByteBuf buf, long now) {
            for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
                byte b = buf.getByte(i);
                if (eventsThisStream == 0 && firstEvent.length() < 512) {
                    firstEvent.append((char) b);
                }
                if (b == '\n' && lastWasLineFeed) {
                    onEvent(now);
                }
                if (b != '\r') {
                    lastWasLineFeed = b == '\n';
                }
            }
        }

        private void onEvent(long now) {
            boolean measured = now >= measureFrom && now <= measureUntil;
            if (eventsThisStream == 0) {
                String salt = salt(firstEvent.toString());
                Long itl = salt == null ? null : itlMicrosBySalt.get(salt);
                if (itl == null) {
                    result.unknownWorker++;
                } else {
                    itlMicros = itl;
                }
                if (measured) {
                    result.ttfbMicros.recordValue(Math.min(MAX_MICROS, (now - sentNanos) / 1000));
                }
            } else if (measured && itlMicros >= 0) {
                long gapMicros = (now - lastEventNanos) / 1000;
                result.addedGapMicros.recordValue(Math.min(MAX_MICROS, Math.max(0, gapMicros - itlMicros)));
            }
            if (measured) {
                result.events++;
            }
            result.allEvents++;
            eventsThisStream++;
            lastEventNanos = now;
        }

        private void fail(String why) {
            if (!failed) {
                failed = true;
                result.errors++;
                if (result.firstError == null) {
                    result.firstError = why;
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (inStream) {
                fail("the connection closed in the middle of a stream");
            }
            if (!counted) {
                counted = true;
                done.countDown();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause.toString());
            ctx.close();
        }
    }

    /**
     * The worker's salt in a completion id: the simulator's ids are a prefix, a 16-digit hexadecimal salt of
     * the worker's and a 16-digit counter ({@code chatcmpl-<salt><counter>}).
     */
    static String salt(String event) {
        int at = event.indexOf("\"id\":\"");
        if (at < 0) {
            return null;
        }
        int end = event.indexOf('"', at + 6);
        if (end < 0 || end - (at + 6) < 32) {
            return null;
        }
        return event.substring(end - 32, end - 16);
    }

    /** The salts of the given workers, from one streamed request to each, in order. */
    static List<String> salts(List<InetSocketAddress> workers, String path, String key, String body) throws Exception {
        List<String> salts = new ArrayList<>();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (InetSocketAddress w : workers) {
            java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://" + w.getHostString() + ":" + w.getPort() + path))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            String salt = salt(response.body());
            if (response.statusCode() != 200 || salt == null) {
                throw new IllegalStateException("worker " + w + " answered " + response.statusCode() + ": " + response.body());
            }
            salts.add(salt);
        }
        return salts;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
