package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimFaults;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Serves one connection: routes each aggregated request to the generation engine, the audio endpoints
 * ({@link Transcription}, {@link SpeechStream}), the model list, the metrics or the admin endpoints, one
 * request at a time (a pipelined request waits until the previous response is complete), and cancels the
 * in-flight response when the connection closes.
 *
 * <p>Thread role: one instance per channel, all calls on that channel's event loop.
 *
 * <p>Buffers: takes ownership of each {@link FullHttpRequest} it reads and releases it once served (a
 * pipelined request is held in the pending queue until then, and released there if the connection
 * closes first); every response buffer is handed to the channel, which takes ownership.
 */
public final class SimHttpHandler extends ChannelInboundHandlerAdapter {

    /** The transcription path: its bodies are uploads, allowed up to {@link SimPipeline#MAX_UPLOAD_BYTES}. */
    static final String TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions";

    private final SimEngine engine;
    private final ArrayDeque<FullHttpRequest> pending = new ArrayDeque<>(2);
    private ChannelHandlerContext ctx;
    private InFlightResponse current;

    public SimHttpHandler(SimEngine engine) {
        this.engine = engine;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        if (current != null || !pending.isEmpty()) {
            pending.add(request); // ownership moves to the queue
            return;
        }
        serve(request);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (current != null) {
            current.cancel();
            current = null;
        }
        FullHttpRequest request;
        while ((request = pending.poll()) != null) {
            request.release();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // I/O errors (resets) are the normal end of a connection for a simulator: just close
        ctx.close();
    }

    /** The in-flight response was completed on a kept-alive connection: serve what was pipelined. */
    private void exchangeDone() {
        current = null;
        while (current == null && ctx.channel().isActive()) {
            FullHttpRequest next = pending.poll();
            if (next == null) {
                return;
            }
            serve(next);
        }
    }

    /** Handles {@code request} and releases it. */
    private void serve(FullHttpRequest request) {
        try {
            route(request);
        } finally {
            request.release();
        }
    }

    private void route(FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            respondError(SimErrors.badRequest("Malformed HTTP request"), false);
            return;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        HttpMethod method = request.method();
        switch (path) {
            case "/v1/chat/completions" -> postOr405(method, keepAlive, () -> generation(Endpoint.CHAT, request, keepAlive));
            case "/v1/completions" -> postOr405(method, keepAlive, () -> generation(Endpoint.COMPLETIONS, request, keepAlive));
            case "/v1/responses" -> postOr405(method, keepAlive, () -> generation(Endpoint.RESPONSES, request, keepAlive));
            case TRANSCRIPTIONS_PATH -> postOr405(method, keepAlive, () -> transcription(request, keepAlive));
            case "/v1/audio/speech" -> postOr405(method, keepAlive, () -> speech(request, keepAlive));
            case "/v1/models" -> {
                if (method.equals(HttpMethod.GET)) {
                    respondJson(HttpResponseStatus.OK, Json.encode(ctx.alloc(), this::writeModels), keepAlive);
                } else {
                    respondError(SimErrors.METHOD_NOT_ALLOWED, keepAlive);
                }
            }
            case "/metrics" -> {
                if (method.equals(HttpMethod.GET)) {
                    ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(), MetricsEncoder.encode(engine));
                    respond(HttpResponseStatus.OK, MetricsEncoder.CONTENT_TYPE, body, keepAlive);
                } else {
                    respondError(SimErrors.METHOD_NOT_ALLOWED, keepAlive);
                }
            }
            case "/health" -> respond(HttpResponseStatus.OK, null, Unpooled.EMPTY_BUFFER, keepAlive);
            case "/admin/config" -> adminConfig(method, request, keepAlive);
            case "/admin/faults" -> adminFaults(method, request, keepAlive);
            default -> respondError(SimErrors.NOT_FOUND, keepAlive);
        }
    }

    private void postOr405(HttpMethod method, boolean keepAlive, Runnable serve) {
        if (method.equals(HttpMethod.POST)) {
            serve.run();
        } else {
            respondError(SimErrors.METHOD_NOT_ALLOWED, keepAlive);
        }
    }

    private void generation(Endpoint endpoint, FullHttpRequest request, boolean keepAlive) {
        engine.recordReceived();
        GenerationRequest g;
        try {
            g = RequestParser.parse(endpoint, request.content());
        } catch (BadRequestException e) {
            respondError(SimErrors.badRequest(e.getMessage()), keepAlive);
            return;
        }
        ModelState model = engine.model(g.model());
        if (model == null) {
            respondError(SimErrors.modelNotFound(g.model()), keepAlive);
            return;
        }
        if (endpoint == Endpoint.RESPONSES && g.store()) {
            respondError(SimErrors.STORE_UNSUPPORTED, keepAlive);
            return;
        }
        int closeAfter = engine.faults().closeAfterChunks();
        if (faultedBeforeAnswer(closeAfter, g.stream(), keepAlive)) {
            return;
        }
        Sequence sequence = new Sequence(engine, ctx.channel(), g, model, closeAfter, keepAlive, this::exchangeDone);
        current = sequence;
        sequence.begin();
    }

    private void transcription(FullHttpRequest request, boolean keepAlive) {
        engine.recordReceived();
        TranscriptionRequest t;
        try {
            t = TranscriptionParser.parse(request);
        } catch (BadRequestException e) {
            respondError(SimErrors.badRequest(e.getMessage()), keepAlive);
            return;
        }
        ModelState model = engine.model(t.model());
        if (model == null) {
            respondError(SimErrors.modelNotFound(t.model()), keepAlive);
            return;
        }
        if (faultedBeforeAnswer(engine.faults().closeAfterChunks(), false, keepAlive)) {
            return;
        }
        Transcription transcription = new Transcription(engine, ctx.channel(), t, model, keepAlive, this::exchangeDone);
        current = transcription;
        transcription.begin();
    }

    private void speech(FullHttpRequest request, boolean keepAlive) {
        engine.recordReceived();
        SpeechRequest s;
        try {
            s = SpeechParser.parse(request.content());
        } catch (BadRequestException e) {
            respondError(SimErrors.badRequest(e.getMessage()), keepAlive);
            return;
        }
        ModelState model = engine.model(s.model());
        if (model == null) {
            respondError(SimErrors.modelNotFound(s.model()), keepAlive);
            return;
        }
        int closeAfter = engine.faults().closeAfterChunks();
        if (faultedBeforeAnswer(closeAfter, true, keepAlive)) {
            return;
        }
        SpeechStream speech = new SpeechStream(engine, ctx.channel(), s, model, closeAfter, keepAlive, this::exchangeDone);
        current = speech;
        speech.begin();
    }

    /**
     * Applies the faults that strike before anything is answered: an injected 500, or a connection
     * closed at once (a streamed answer with {@code closeAfter == 0}, any other with {@code closeAfter >= 0}).
     * True when one struck and the request is dealt with.
     */
    private boolean faultedBeforeAnswer(int closeAfter, boolean streamed, boolean keepAlive) {
        if (engine.drawFailure()) {
            engine.recordErrorInjected();
            respondError(SimErrors.SIMULATED_FAILURE, keepAlive);
            return true;
        }
        if (closeAfter == 0 || closeAfter > 0 && !streamed) {
            engine.recordErrorInjected();
            ctx.close();
            return true;
        }
        return false;
    }

    private void adminConfig(HttpMethod method, FullHttpRequest request, boolean keepAlive) {
        admin(method, request, keepAlive, engine::config, AdminCodec::readConfig, engine::reconfigure, AdminCodec::writeConfig);
    }

    private void adminFaults(HttpMethod method, FullHttpRequest request, boolean keepAlive) {
        admin(method, request, keepAlive, engine::faults, AdminCodec::readFaults, engine::faults, AdminCodec::writeFaults);
    }

    /** GET answers the current settings; POST applies a partial update read over them, then answers them. */
    private <T> void admin(HttpMethod method, FullHttpRequest request, boolean keepAlive, Supplier<T> current,
                           AdminReader<T> read, Consumer<T> apply, AdminWriter<T> write) {
        if (method.equals(HttpMethod.POST)) {
            try {
                apply.accept(read.read(current.get(), request.content()));
            } catch (BadRequestException e) {
                respondError(SimErrors.badRequest(e.getMessage()), keepAlive);
                return;
            }
        } else if (!method.equals(HttpMethod.GET)) {
            respondError(SimErrors.METHOD_NOT_ALLOWED, keepAlive);
            return;
        }
        T settings = current.get();
        respondJson(HttpResponseStatus.OK, Json.encode(ctx.alloc(), g -> write.write(g, settings)), keepAlive);
    }

    @FunctionalInterface
    private interface AdminReader<T> {
        T read(T current, ByteBuf body) throws BadRequestException;
    }

    @FunctionalInterface
    private interface AdminWriter<T> {
        void write(JsonGenerator g, T settings) throws IOException;
    }

    private void writeModels(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        for (ModelState m : engine.models()) {
            g.writeStartObject();
            g.writeStringField("id", m.id());
            g.writeStringField("object", "model");
            g.writeNumberField("created", engine.createdSeconds());
            g.writeStringField("owned_by", "vllm");
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private void respondError(SimErrors.SimError error, boolean keepAlive) {
        respondJson(error.status(), error.body(ctx.alloc()), keepAlive);
    }

    private void respondJson(HttpResponseStatus status, ByteBuf body, boolean keepAlive) {
        respond(status, HttpHeaderValues.APPLICATION_JSON.toString(), body, keepAlive);
    }

    private void respond(HttpResponseStatus status, String contentType, ByteBuf body, boolean keepAlive) {
        respond(ctx.channel(), status, contentType, body, keepAlive);
    }

    /** Writes a complete response on {@code channel}; takes ownership of {@code body}. */
    static void respond(Channel channel, HttpResponseStatus status, String contentType, ByteBuf body, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        HttpUtil.setContentLength(response, body.readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        ChannelFuture written = channel.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
