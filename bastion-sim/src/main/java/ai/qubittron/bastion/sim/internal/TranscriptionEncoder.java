package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimText;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.util.Locale;

/**
 * {@code /v1/audio/transcriptions} bodies, one per {@code response_format}, in OpenAI's shapes:
 * <ul>
 *   <li>{@code json}: {@code {"text", "usage": {"type": "duration", "seconds"}}}, whole seconds rounded
 *       up ({@link SimText#usageSeconds});</li>
 *   <li>{@code verbose_json}: {@code task}, {@code language} (always {@code english}), {@code duration}
 *       (seconds, with milliseconds), {@code text}, one segment spanning the audio, and the usage;</li>
 *   <li>{@code text}: the text and a newline;</li>
 *   <li>{@code srt} and {@code vtt}: one cue from 0 to the end of the audio.</li>
 * </ul>
 * Stateless; called on an event loop.
 */
final class TranscriptionEncoder {

    private TranscriptionEncoder() {
    }

    /** The body of the answer to {@code request} whose transcript is {@code text}; the caller owns it. */
    static ByteBuf encode(ByteBufAllocator alloc, TranscriptionRequest request, String text) {
        long millis = request.audioMillis();
        return switch (request.format()) {
            case JSON -> Json.encode(alloc, g -> json(g, text, millis));
            case VERBOSE_JSON -> Json.encode(alloc, g -> verboseJson(g, request, text));
            case TEXT -> ByteBufUtil.writeUtf8(alloc, text + "\n");
            case SRT -> ByteBufUtil.writeUtf8(alloc, "1\n00:00:00,000 --> " + timestamp(millis, ',') + "\n" + text + "\n\n");
            case VTT -> ByteBufUtil.writeUtf8(alloc,
                    "WEBVTT\n\n00:00:00.000 --> " + timestamp(millis, '.') + "\n" + text + "\n\n");
        };
    }

    private static void json(JsonGenerator g, String text, long millis) throws IOException {
        g.writeStartObject();
        g.writeStringField("text", text);
        usage(g, millis);
        g.writeEndObject();
    }

    private static void verboseJson(JsonGenerator g, TranscriptionRequest request, String text) throws IOException {
        double seconds = request.audioMillis() / 1000.0;
        g.writeStartObject();
        g.writeStringField("task", "transcribe");
        g.writeStringField("language", "english");
        g.writeNumberField("duration", seconds);
        g.writeStringField("text", text);
        g.writeArrayFieldStart("segments");
        g.writeStartObject();
        g.writeNumberField("id", 0);
        g.writeNumberField("seek", 0);
        g.writeNumberField("start", 0.0);
        g.writeNumberField("end", seconds);
        g.writeStringField("text", text);
        g.writeArrayFieldStart("tokens");
        g.writeEndArray();
        g.writeNumberField("temperature", request.temperature());
        g.writeNumberField("avg_logprob", -0.25);
        g.writeNumberField("compression_ratio", 1.0);
        g.writeNumberField("no_speech_prob", 0.0);
        g.writeEndObject();
        g.writeEndArray();
        usage(g, request.audioMillis());
        g.writeEndObject();
    }

    private static void usage(JsonGenerator g, long millis) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeStringField("type", "duration");
        g.writeNumberField("seconds", SimText.usageSeconds(millis));
        g.writeEndObject();
    }

    /** {@code HH:MM:SS<separator>mmm}: SRT separates milliseconds with a comma, WebVTT with a dot. */
    private static String timestamp(long millis, char separator) {
        return String.format(Locale.ROOT, "%02d:%02d:%02d%c%03d", millis / 3_600_000, millis / 60_000 % 60,
                millis / 1000 % 60, separator, millis % 1000);
    }
}
