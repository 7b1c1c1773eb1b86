package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimText;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One transcription being served: it waits the time its audio takes to transcribe
 * ({@link ai.qubittron.bastion.sim.SimConfig#transcriptionNanos}), then writes the whole answer in the
 * requested format ({@link TranscriptionEncoder}). It takes no running slot of the engine.
 *
 * <p>Thread role: confined to the event loop of the request's channel; created, begun, answered and
 * cancelled there.
 *
 * <p>Buffers: the body is allocated from the channel's allocator and handed to {@code Channel.write},
 * which takes ownership; nothing is retained here.
 */
final class Transcription extends TimedAnswer {

    private final Channel channel;
    private final TranscriptionRequest request;
    private final ModelState model;
    private final boolean keepAlive;
    private final Runnable onComplete;


    /**
     * @param onComplete run on the event loop after the answer was written on a kept-alive connection, so
     *                   the handler can serve the next request
     */
    Transcription(SimEngine engine, Channel channel, TranscriptionRequest request, ModelState model, boolean keepAlive,
                  Runnable onComplete) {
        super(engine);
        this.channel = channel;
        this.request = request;
        this.model = model;
        this.keepAlive = keepAlive;
        this.onComplete = onComplete;
    }

    /** Schedules the answer; it is never written from within this call. */
    void begin() {
        long delay = engine.config().transcriptionNanos(request.audioMillis());
        if (delay > 0) {
            timer = channel.eventLoop().schedule(this::answer, delay, TimeUnit.NANOSECONDS);
        } else {
            channel.eventLoop().execute(this::answer);
        }
    }

    private void answer() {
        if (done) {
            return;
        }
        done = true;
        timer = null;
        String text = SimText.transcript(engine.seed(), request.audioMillis());
        ByteBuf body = TranscriptionEncoder.encode(channel.alloc(), request, text);
        // counted before the bytes leave, so a client that saw the answer sees the count
        engine.recordAudioCompleted(model);
        SimHttpHandler.respond(channel, HttpResponseStatus.OK, request.format().contentType(), body, keepAlive);
        if (keepAlive) {
            onComplete.run();
        }
    }
}
