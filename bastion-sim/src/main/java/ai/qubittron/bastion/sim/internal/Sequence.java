package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimText;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One generation request on its way through the {@link SimEngine}: waiting, then running (its tokens
 * produced on timers), then done (completed, cancelled, or cut by a fault).
 *
 * <p>Thread role: everything runs on the event loop of the request's channel, except
 * {@link #admit()}, which the engine calls from whichever thread frees a slot. The state moves
 * {@code WAITING → ADMITTED → DONE} or {@code WAITING → DONE} by compare-and-set only, so a
 * cancellation racing an admission is resolved exactly once.
 *
 * <p>Buffers: every SSE event and body is allocated from the channel's allocator and handed to
 * {@code Channel.write}, which takes ownership; nothing is retained here.
 */
final class Sequence implements ResponseEncoder.EventSink, InFlightResponse {

    static final int WAITING = 0;
    static final int ADMITTED = 1;
    static final int DONE = 2;

    private static final byte[] EVENT_PREFIX = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final SimEngine engine;
    private final Channel channel;
    private final GenerationRequest request;
    private final ModelState model;
    private final ResponseEncoder encoder;
    private final String id;
    private final String itemId;
    private final long createdSeconds;
    private final long hash;
    private final int outputTokens;
    private final boolean truncated;
    private final int closeAfterEvents;
    private final boolean keepAlive;
    private final Runnable onComplete;

    // event-loop confined
    private int produced;
    private int eventsWritten;
    private int sequenceNumber;
    private boolean cut;
    private String text;
    private ScheduledFuture<?> timer;

    /**
     * @param closeAfterEvents SSE events after which the connection is cut, or -1
     * @param onComplete       run on the event loop after a complete response was written on a kept-alive
     *                         connection, so the handler can serve the next request
     */
    Sequence(SimEngine engine, Channel channel, GenerationRequest request, ModelState model, int closeAfterEvents,
             boolean keepAlive, Runnable onComplete) {
        this.engine = engine;
        this.channel = channel;
        this.request = request;
        this.model = model;
        this.encoder = switch (request.endpoint()) {
            case CHAT -> ChatEncoder.INSTANCE;
            case COMPLETIONS -> CompletionsEncoder.INSTANCE;
            case RESPONSES -> ResponsesEncoder.INSTANCE;
        };
        this.id = engine.nextId(request.endpoint().idPrefix());
        this.itemId = request.endpoint() == Endpoint.RESPONSES ? engine.nextId("msg_") : null;
        this.createdSeconds = System.currentTimeMillis() / 1000;
        this.hash = SimText.promptHash(engine.seed(), request.promptKey());
        int natural = request.ignoreEos() ? Integer.MAX_VALUE : SimText.naturalTokens(engine.seed(), request.promptKey());
        int limit = request.maxTokens() > 0 ? request.maxTokens() : engine.config().defaultMaxTokens();
        this.outputTokens = Math.min(natural, limit);
        this.truncated = natural > limit;
        this.closeAfterEvents = closeAfterEvents;
        this.keepAlive = keepAlive;
        this.onComplete = onComplete;
    }

    /** Sends the stream's response head (streams only) and queues the sequence for a running slot. */
    void begin() {
        if (request.stream()) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
            HttpUtil.setTransferEncodingChunked(head, true);
            HttpUtil.setKeepAlive(head, keepAlive);
            channel.writeAndFlush(head);
        }
        engine.enqueue(this);
    }

    /** {@code WAITING → ADMITTED}; false when the sequence was cancelled meanwhile. Any thread. */
    boolean admit() {
        return state.compareAndSet(WAITING, ADMITTED);
    }

    /** Starts prefill; runs on the channel's loop after {@link #admit()}. */
    void start() {
        if (state.get() != ADMITTED) {
            return;
        }
        long ttft = engine.config().timeToFirstTokenNanos(request.promptTokens());
        if (ttft > 0) {
            timer = channel.eventLoop().schedule(this::run, ttft, TimeUnit.NANOSECONDS);
        } else {
            run();
        }
    }

    /** Produces tokens until one needs a timer, the last one is produced, or the sequence ends. */
    private void run() {
        timer = null;
        for (;;) {
            if (state.get() != ADMITTED) {
                return;
            }
            produceToken();
            if (state.get() != ADMITTED) {
                return; // cut by a fault
            }
            if (produced == outputTokens) {
                finish();
                return;
            }
            long delay = engine.config().interTokenNanos(engine.running());
            if (delay > 0) {
                timer = channel.eventLoop().schedule(this::run, delay, TimeUnit.NANOSECONDS);
                return;
            }
        }
    }

    private void produceToken() {
        int index = produced++;
        model.kvTokens.incrementAndGet();
        if (request.stream()) {
            if (index == 0) {
                encoder.preamble(this, this);
            }
            encoder.token(this, index, SimText.tokenOf(hash, index), this);
            if (!cut) {
                channel.flush();
            }
        }
    }

    private void finish() {
        if (!state.compareAndSet(ADMITTED, DONE)) {
            return;
        }
        engine.release(this, true);
        ChannelFuture written;
        if (request.stream()) {
            encoder.finish(this, this);
            if (cut) {
                return;
            }
            // counted before the last bytes leave, so a client that saw the end sees the count
            engine.recordCompleted();
            written = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        } else {
            ByteBuf body = Json.encode(channel.alloc(), g -> encoder.writeBody(g, this));
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            HttpUtil.setContentLength(response, body.readableBytes());
            HttpUtil.setKeepAlive(response, keepAlive);
            engine.recordCompleted();
            written = channel.writeAndFlush(response);
        }
        if (keepAlive) {
            onComplete.run();
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * The connection closed before the response finished: frees the slot or leaves the queue, stops the
     * timer and counts a cancellation. No-op when already done. Runs on the channel's loop.
     */
    @Override
    public void cancel() {
        int previous = state.getAndSet(DONE);
        if (previous == WAITING) {
            engine.removeWaiting(this);
            engine.recordCancelled();
        } else if (previous == ADMITTED) {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            engine.release(this, false);
            engine.recordCancelled();
        }
    }

    @Override
    public boolean event(String type, Json.Body data) {
        if (cut) {
            return false;
        }
        ByteBuf buf = channel.alloc().buffer(256);
        try {
            if (type != null) {
                buf.writeBytes(EVENT_PREFIX).writeCharSequence(type, StandardCharsets.US_ASCII);
                buf.writeByte('\n');
            }
            buf.writeBytes(DATA_PREFIX);
            Json.append(buf, data);
            buf.writeBytes(EVENT_END);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        return write(buf);
    }

    @Override
    public boolean rawEvent(String raw) {
        if (cut) {
            return false;
        }
        ByteBuf buf = channel.alloc().buffer(DATA_PREFIX.length + raw.length() + EVENT_END.length);
        buf.writeBytes(DATA_PREFIX).writeCharSequence(raw, StandardCharsets.UTF_8);
        buf.writeBytes(EVENT_END);
        return write(buf);
    }

    /** Writes one event (ownership of {@code buf} passes to the channel), cutting the connection at the K-th. */
    private boolean write(ByteBuf buf) {
        eventsWritten++;
        if (closeAfterEvents >= 0 && eventsWritten >= closeAfterEvents) {
            cut = true;
            engine.recordErrorInjected();
            if (state.compareAndSet(ADMITTED, DONE)) {
                engine.release(this, false);
            }
            channel.writeAndFlush(new DefaultHttpContent(buf)).addListener(ChannelFutureListener.CLOSE);
            return false;
        }
        channel.write(new DefaultHttpContent(buf));
        return true;
    }

    /** Responses stream: the next {@code sequence_number}, from 0. */
    int nextSequenceNumber() {
        return sequenceNumber++;
    }

    /** The text produced so far (the whole answer once finished). */
    String text() {
        if (text == null) { // only asked for once every token is produced
            StringBuilder sb = new StringBuilder(produced * 7);
            for (int i = 0; i < produced; i++) {
                sb.append(SimText.tokenOf(hash, i));
            }
            text = sb.toString();
        }
        return text;
    }

    GenerationRequest request() {
        return request;
    }

    ModelState model() {
        return model;
    }

    Channel channel() {
        return channel;
    }

    String id() {
        return id;
    }

    String itemId() {
        return itemId;
    }

    long createdSeconds() {
        return createdSeconds;
    }

    /** Tokens generated so far. */
    int completionTokens() {
        return produced;
    }

    /** Prompt plus generated tokens this sequence holds in the KV cache. */
    long kvTokens() {
        return (long) request.promptTokens() + produced;
    }

    boolean truncated() {
        return truncated;
    }

    String finishReason() {
        return truncated ? "length" : "stop";
    }
}
