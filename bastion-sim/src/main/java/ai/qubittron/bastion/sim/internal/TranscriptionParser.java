package ai.qubittron.bastion.sim.internal;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpData;
import io.netty.handler.codec.http.multipart.HttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads a transcription form ({@code multipart/form-data}) with Netty's multipart decoder, in memory
 * only: no part is ever written to a temporary file. It keeps the parts the worker needs: {@code file}
 * (measured, see {@link ai.qubittron.bastion.sim.SimText}), {@code model}, {@code response_format},
 * {@code temperature} and {@code stream} (only {@code false}: the simulator does not stream
 * transcriptions). {@code language}, {@code prompt} and any other part are accepted and ignored; a
 * repeated part counts once, the last. A {@code file} part without a filename is taken as well (the
 * decoder sees a plain field; the OpenAI SDKs send {@code byte[]} audio that way).
 *
 * <p>Stateless; called on an event loop. It does not take ownership of the request and does not move
 * its content's reader index. The decoder holds a slice of the body and copies each part; all of it is
 * released before {@link #parse} returns, whatever happens.
 */
final class TranscriptionParser {

    /** Bytes a second of audio that is not WAV: a 128 kbit/s stream. */
    static final int ASSUMED_BYTES_PER_SECOND = 16_000;

    /** Memory only: parts are never written to disk. Thread-safe. */
    private static final HttpDataFactory IN_MEMORY = new DefaultHttpDataFactory(false);

    private TranscriptionParser() {
    }

    /**
     * Parses the form {@code request} carries (not released, reader index unchanged).
     *
     * @throws BadRequestException when the body is not {@code multipart/form-data} with a boundary, the
     *                             multipart is broken or cut short, a required part ({@code file},
     *                             {@code model}) is missing, or a part has a bad value
     */
    static TranscriptionRequest parse(FullHttpRequest request) throws BadRequestException {
        HttpPostMultipartRequestDecoder decoder = decoder(request);
        try {
            decoder.offer(new DefaultLastHttpContent(request.content().duplicate()));
            return read(decoder);
        } catch (DecoderException | IllegalArgumentException | IOException e) {
            throw malformed(e);
        } finally {
            release(decoder);
        }
    }

    /**
     * A decoder for the form, given the request's head only: it parses nothing in its constructor, so a
     * part it gives up on half-read, once the body is offered, is still reachable to be released.
     */
    private static HttpPostMultipartRequestDecoder decoder(FullHttpRequest request) throws BadRequestException {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null || !type.regionMatches(true, 0, "multipart/form-data", 0, 19)) {
            throw new BadRequestException("The request body must be multipart/form-data"
                    + (type == null ? "" : ", was '" + type + "'"));
        }
        try {
            if (!HttpPostRequestDecoder.isMultipart(request)) {
                throw new BadRequestException("multipart/form-data needs a boundary parameter in Content-Type");
            }
            return new HttpPostMultipartRequestDecoder(IN_MEMORY,
                    new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(), request.headers()));
        } catch (DecoderException | IllegalArgumentException e) { // a bad boundary or charset parameter
            throw new BadRequestException("Unusable Content-Type '" + type + "': " + e.getMessage());
        }
    }

    private static TranscriptionRequest read(HttpPostMultipartRequestDecoder decoder)
            throws IOException, BadRequestException {
        InterfaceHttpData partial = decoder.currentPartialHttpData();
        if (partial != null) {
            throw malformed("it ends inside the '" + partial.getName() + "' part");
        }
        String model = null;
        long audioMillis = -1;
        TranscriptionRequest.Format format = TranscriptionRequest.Format.JSON;
        double temperature = 0;
        boolean parts = false;
        for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
            parts = true;
            if (!(data instanceof HttpData part)) {
                continue; // a nested multipart/mixed: no part the worker needs
            }
            switch (part.getName()) {
                case "file" -> audioMillis = audioMillis(part.getByteBuf());
                case "model" -> model = text(part);
                case "response_format" -> format = format(text(part));
                case "temperature" -> temperature = temperature(text(part));
                case "stream" -> stream(text(part));
                default -> {
                    // language, prompt, timestamp_granularities[], …: accepted, not simulated
                }
            }
        }
        if (!parts) {
            throw malformed("no part starts with the boundary given in Content-Type");
        }
        if (audioMillis < 0) {
            throw new BadRequestException("'file' is a required property");
        }
        if (model == null || model.isEmpty()) {
            throw new BadRequestException("'model' is a required property");
        }
        return new TranscriptionRequest(model, format, temperature, audioMillis);
    }

    /** The audio's duration: from its WAV header, else its size at {@value #ASSUMED_BYTES_PER_SECOND} bytes a second. */
    private static long audioMillis(ByteBuf audio) throws BadRequestException {
        if (!audio.isReadable()) {
            throw new BadRequestException("'file' must not be empty");
        }
        long wav = Wav.durationMillis(audio);
        return wav >= 0 ? wav : (audio.readableBytes() * 1000L + ASSUMED_BYTES_PER_SECOND - 1) / ASSUMED_BYTES_PER_SECOND;
    }

    private static String text(HttpData part) throws IOException {
        return part.getString(StandardCharsets.UTF_8).trim();
    }

    private static TranscriptionRequest.Format format(String value) throws BadRequestException {
        TranscriptionRequest.Format format = TranscriptionRequest.Format.of(value);
        if (format == null) {
            throw new BadRequestException("'response_format' must be one of " + TranscriptionRequest.Format.NAMES
                    + ", was '" + value + "'");
        }
        return format;
    }

    private static double temperature(String value) throws BadRequestException {
        double t;
        try {
            t = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            t = Double.NaN;
        }
        if (!(t >= 0 && t <= 1)) {
            throw new BadRequestException("'temperature' must be a number between 0 and 1, was '" + value + "'");
        }
        return t;
    }

    private static void stream(String value) throws BadRequestException {
        if (value.equalsIgnoreCase("true")) {
            throw new BadRequestException("The simulator does not stream transcriptions: 'stream' must be false");
        }
        if (!value.equalsIgnoreCase("false")) {
            throw new BadRequestException("'stream' must be true or false, was '" + value + "'");
        }
    }

    private static BadRequestException malformed(String why) {
        return new BadRequestException("Malformed multipart/form-data body: " + why);
    }

    private static BadRequestException malformed(Exception e) {
        if (e instanceof HttpPostRequestDecoder.TooLongFormFieldException) {
            // the decoder kept more than it may while looking for a boundary line or a part's headers
            return malformed("no boundary line where one was expected (does the body use the boundary in"
                    + " Content-Type?), or a part's headers are too long");
        }
        if (e instanceof HttpPostRequestDecoder.TooManyFormFieldsException) {
            return malformed("too many parts");
        }
        return malformed(e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
    }

    /** Releases the decoder's buffers, and the part it stopped in, which {@code destroy()} leaves behind. */
    private static void release(HttpPostMultipartRequestDecoder decoder) {
        InterfaceHttpData partial = decoder.currentPartialHttpData();
        if (partial != null && partial.refCnt() > 0) {
            partial.release();
        }
        decoder.destroy();
    }
}
