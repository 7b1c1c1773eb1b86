package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.scheduler.Scheduler;
import ai.qubittron.bastion.core.scheduler.VllmLoad;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Scrapes every upstream worker's Prometheus {@code /metrics} at a fixed interval and flags the worker
 * {@linkplain WorkerState#overloaded(boolean) overloaded}, in every model it serves, while its
 * {@link VllmLoad} passes the thresholds. A filter only: the scheduler's own counters decide among the
 * workers that are not flagged, and a burst lands on local counts long before the next scrape.
 *
 * <p>Fails open, but not at once: a worker whose metrics cannot be read (refused, timed out, 5xx) keeps
 * its last reading for twice the scrape timeout (a worker too busy to answer is more likely overloaded
 * than idle), then is not flagged, since its circuit breaker judges its health from real requests.
 * Failed scrapes back off from one interval, doubling, to {@value #MAX_FAILURE_BACKOFF_SECONDS} s. A worker
 * answering 404 (not vLLM-style) is asked again only after {@value #NO_METRICS_RETRY_SECONDS} s.
 *
 * <p>Thread role: everything runs on one event loop, a thread of its own (the gateway gives it one), so
 * that reading metrics never delays a relay; one keep-alive connection per worker, at most one scrape in
 * flight on it; a scrape unanswered after the larger of 1 s and 10 intervals is abandoned (connection
 * closed).
 */
public final class LoadProbe {

    static final int NO_METRICS_RETRY_SECONDS = 60;
    static final int MAX_FAILURE_BACKOFF_SECONDS = 5;
    private static final int MAX_METRICS_BYTES = 8 * 1024 * 1024;

    private final EventLoop loop;
    private final Scheduler scheduler;
    private final Bootstrap bootstrap;
    private final long intervalNanos;
    private final long scrapeTimeoutNanos;
    private final long staleNanos;
    private final long maxWaiting;
    private final double maxKvCacheUsage;
    private final Map<UpstreamWorker, Target> targets = new HashMap<>();
    private ScheduledFuture<?> tick;
    private boolean stopped;

    public LoadProbe(EventLoop loop, Transport transport, Scheduler scheduler, long intervalNanos,
                     long maxWaiting, double maxKvCacheUsage) {
        this.loop = loop;
        this.scheduler = scheduler;
        this.intervalNanos = intervalNanos;
        this.scrapeTimeoutNanos = Math.max(TimeUnit.SECONDS.toNanos(1), 10 * intervalNanos);
        this.staleNanos = 2 * scrapeTimeoutNanos;
        this.maxWaiting = maxWaiting;
        this.maxKvCacheUsage = maxKvCacheUsage;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(100, TimeUnit.NANOSECONDS.toMillis(scrapeTimeoutNanos) / 2))
                .option(ChannelOption.TCP_NODELAY, true);
    }

    /** Starts scraping; any thread. */
    public void start() {
        loop.execute(() -> {
            if (!stopped && tick == null) {
                tick = loop.scheduleWithFixedDelay(this::tick, 0, intervalNanos, TimeUnit.NANOSECONDS);
            }
        });
    }

    /** Stops scraping and closes the connections; any thread. */
    public void stop() {
        loop.execute(() -> {
            stopped = true;
            if (tick != null) {
                tick.cancel(false);
            }
            targets.values().forEach(Target::close);
            targets.clear();
        });
    }

    private void tick() {
        Map<UpstreamWorker, List<WorkerState>> live = new HashMap<>();
        for (String model : scheduler.models()) {
            for (WorkerState state : scheduler.workers(model)) {
                if (state.endpoint() instanceof UpstreamWorker worker) {
                    live.computeIfAbsent(worker, w -> new ArrayList<>(2)).add(state);
                }
            }
        }
        for (Iterator<Map.Entry<UpstreamWorker, Target>> it = targets.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<UpstreamWorker, Target> e = it.next();
            if (!live.containsKey(e.getKey())) {
                e.getValue().close();
                it.remove();
            }
        }
        long now = System.nanoTime();
        live.forEach((worker, states) -> {
            Target target = targets.computeIfAbsent(worker, Target::new);
            target.states = states;
            target.scrape(now);
        });
    }

    /** One worker: its probe connection and the scheduler states it flags. Loop-confined. */
    private final class Target {
        final UpstreamWorker worker;
        List<WorkerState> states = List.of();
        Channel channel;
        ChannelFuture connecting;
        boolean inFlight;
        long sentNanos;
        boolean paused;
        long pausedUntilNanos;
        int failures;
        long lastReadNanos = System.nanoTime();

        Target(UpstreamWorker worker) {
            this.worker = worker;
        }

        void scrape(long now) {
            if (paused && now - pausedUntilNanos < 0) {
                return;
            }
            paused = false;
            if (inFlight) {
                if (now - sentNanos > scrapeTimeoutNanos) {
                    close();
                    failed(now);
                }
                return;
            }
            inFlight = true;
            sentNanos = now;
            if (channel != null && channel.isActive()) {
                send(channel);
                return;
            }
            ChannelFuture connect = bootstrap.clone()
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline()
                                    .addLast(new HttpClientCodec())
                                    .addLast(new HttpObjectAggregator(MAX_METRICS_BYTES))
                                    .addLast(new Reader(Target.this));
                        }
                    })
                    .connect(worker.address());
            connecting = connect;
            connect.addListener((ChannelFutureListener) f -> {
                if (f != connecting) { // abandoned by close(): a late success must not linger
                    f.channel().close();
                    return;
                }
                connecting = null;
                if (f.isSuccess() && !stopped) {
                    channel = f.channel();
                    send(channel);
                } else {
                    f.channel().close();
                    failed(System.nanoTime());
                }
            });
        }

        private void send(Channel ch) {
            FullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/metrics");
            get.headers().set(HttpHeaderNames.HOST, worker.hostHeader())
                    .set(HttpHeaderNames.ACCEPT, "text/plain");
            ch.writeAndFlush(get).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }

        void answered(Channel ch, FullHttpResponse response) {
            if (ch != channel || !inFlight) {
                return;
            }
            if (!HttpUtil.isKeepAlive(response)) {
                close();
            }
            long now = System.nanoTime();
            if (response.status().equals(HttpResponseStatus.OK)) {
                inFlight = false;
                failures = 0;
                lastReadNanos = now;
                apply(VllmLoad.parse(response.content()));
            } else if (response.status().equals(HttpResponseStatus.NOT_FOUND)) {
                // not a vLLM-style server: nothing to read, ask again much later
                inFlight = false;
                pause(now, TimeUnit.SECONDS.toNanos(NO_METRICS_RETRY_SECONDS));
                apply(VllmLoad.UNKNOWN);
            } else {
                failed(now);
            }
        }

        void closed(Channel ch) {
            if (ch == channel) {
                channel = null;
                if (inFlight) {
                    failed(System.nanoTime());
                }
            }
        }

        /**
         * A scrape failed: back off (one interval, doubling per failure in a row, up to
         * {@value #MAX_FAILURE_BACKOFF_SECONDS} s), and keep the last reading until it is stale, since a
         * worker too busy to answer its metrics is more likely overloaded than idle; then fail open.
         */
        private void failed(long now) {
            inFlight = false;
            failures = Math.min(failures + 1, 30);
            pause(now, Math.min(intervalNanos << Math.min(failures - 1, 20), TimeUnit.SECONDS.toNanos(MAX_FAILURE_BACKOFF_SECONDS)));
            if (now - lastReadNanos > staleNanos) {
                apply(VllmLoad.UNKNOWN);
            }
        }

        private void pause(long now, long nanos) {
            paused = true;
            pausedUntilNanos = now + nanos;
        }

        private void apply(VllmLoad load) {
            boolean overloaded = load.overloaded(maxWaiting, maxKvCacheUsage);
            for (WorkerState state : states) {
                state.overloaded(overloaded);
            }
        }

        void close() {
            Channel ch = channel;
            channel = null;
            ChannelFuture pending = connecting;
            connecting = null;
            inFlight = false;
            if (ch != null) {
                ch.close();
            }
            if (pending != null) {
                pending.channel().close();
            }
        }
    }

    /** The response reader of one probe connection. */
    private static final class Reader extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final Target target;

        Reader(Target target) {
            this.target = target;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            target.answered(ctx.channel(), response);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            target.closed(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
