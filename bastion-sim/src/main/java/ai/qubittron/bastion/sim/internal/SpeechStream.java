package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimText;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One speech answer being streamed: the response head at once ({@code Transfer-Encoding: chunked}),
 * then the audio in HTTP chunks of {@value #CHUNK_MILLIS} ms, each written once it would have been
 * synthesised ({@link ai.qubittron.bastion.sim.SimConfig#speechNanos}, the first one after the overhead
 * too). A WAV answer's first chunk starts with the header, which gives the final length. The samples
 * are a quiet 400 Hz tone (amplitude 1,000 of 32,767), the same for every request. It takes no running
 * slot of the engine. With {@link ai.qubittron.bastion.sim.SimFaults#closeAfterChunks()} {@code K > 0},
 * the connection is cut right after the K-th chunk.
 *
 * <p>Thread role: confined to the event loop of the request's channel.
 *
 * <p>Buffers: each chunk is allocated from the channel's allocator and handed to {@code Channel.write},
 * which takes ownership; nothing is retained here.
 */
final class SpeechStream extends TimedAnswer {

    /** Audio per HTTP chunk. */
    static final int CHUNK_MILLIS = 250;

    private static final int SAMPLES_PER_MILLI = SimText.SPEECH_SAMPLE_RATE / 1000;
    private static final int CHUNK_SAMPLES = CHUNK_MILLIS * SAMPLES_PER_MILLI;
    /** One period of the tone: 400 Hz is 60 samples at 24 kHz, so the table repeats seamlessly. */
    private static final short[] TONE = tone(400, 1_000);

    private final Channel channel;
    private final SpeechRequest request;
    private final ModelState model;
    private final int closeAfterChunks;
    private final boolean keepAlive;
    private final Runnable onComplete;
    private final long totalSamples;

    private long samplesWritten;
    private int chunksWritten;

    /**
     * @param closeAfterChunks chunks after which the connection is cut, or -1
     * @param onComplete       run on the event loop after the whole answer was written on a kept-alive
     *                         connection, so the handler can serve the next request
     */
    SpeechStream(SimEngine engine, Channel channel, SpeechRequest request, ModelState model, int closeAfterChunks,
                 boolean keepAlive, Runnable onComplete) {
        super(engine);
        this.channel = channel;
        this.request = request;
        this.model = model;
        this.closeAfterChunks = closeAfterChunks;
        this.keepAlive = keepAlive;
        this.onComplete = onComplete;
        this.totalSamples = SimText.speechSamples(request.input());
    }

    /** Writes the response head and schedules the first chunk; no chunk is written from within this call. */
    void begin() {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, request.format().contentType());
        HttpUtil.setTransferEncodingChunked(head, true);
        HttpUtil.setKeepAlive(head, keepAlive);
        channel.writeAndFlush(head);
        long first = engine.config().overheadMillis() * 1_000_000L + engine.config().speechNanos(nextChunkMillis());
        if (first > 0) {
            timer = channel.eventLoop().schedule(this::run, first, TimeUnit.NANOSECONDS);
        } else {
            channel.eventLoop().execute(this::run);
        }
    }

    /** Writes chunks until one needs a timer, the last one is written, or the stream ends. */
    private void run() {
        timer = null;
        for (;;) {
            if (done || !writeChunk()) {
                return;
            }
            if (samplesWritten == totalSamples) {
                finish();
                return;
            }
            long delay = engine.config().speechNanos(nextChunkMillis());
            if (delay > 0) {
                timer = channel.eventLoop().schedule(this::run, delay, TimeUnit.NANOSECONDS);
                return;
            }
        }
    }

    private long nextChunkMillis() {
        return Math.min(CHUNK_SAMPLES, totalSamples - samplesWritten) / SAMPLES_PER_MILLI;
    }

    /** Writes the next chunk (ownership passes to the channel); false when the fault cut the stream after it. */
    private boolean writeChunk() {
        int samples = (int) Math.min(CHUNK_SAMPLES, totalSamples - samplesWritten);
        boolean header = samplesWritten == 0 && request.format() == SpeechRequest.Format.WAV;
        ByteBuf chunk = channel.alloc().buffer((header ? Wav.HEADER_BYTES : 0) + samples * 2);
        if (header) {
            Wav.writeHeader(chunk, SimText.SPEECH_SAMPLE_RATE, totalSamples * 2);
        }
        for (int i = 0; i < samples; i++) {
            chunk.writeShortLE(TONE[(int) ((samplesWritten + i) % TONE.length)]);
        }
        samplesWritten += samples;
        chunksWritten++;
        if (closeAfterChunks >= 0 && chunksWritten >= closeAfterChunks) {
            done = true;
            engine.recordErrorInjected();
            channel.writeAndFlush(new DefaultHttpContent(chunk)).addListener(ChannelFutureListener.CLOSE);
            return false;
        }
        channel.writeAndFlush(new DefaultHttpContent(chunk));
        return true;
    }

    private void finish() {
        done = true;
        // counted before the last bytes leave, so a client that saw the end sees the count
        engine.recordAudioCompleted(model);
        ChannelFuture written = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (keepAlive) {
            onComplete.run();
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static short[] tone(int hertz, int amplitude) {
        short[] period = new short[SimText.SPEECH_SAMPLE_RATE / hertz];
        for (int i = 0; i < period.length; i++) {
            period[i] = (short) Math.round(amplitude * Math.sin(2 * Math.PI * i / period.length));
        }
        return period;
    }
}
