package ai.qubittron.bastion.sim.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * Reads a {@code /v1/audio/speech} body, OpenAI's {@code {"model", "input", "voice", "response_format",
 * "speed", "stream_format"}}, with a jackson-core streaming parser; other fields ({@code instructions},
 * …) are skipped. {@code model} and a non-empty {@code input} of at most
 * {@value #MAX_INPUT_CHARACTERS} characters are required. Only {@code wav} and {@code pcm} are produced
 * (OpenAI's mp3, opus, aac and flac are refused), only as raw audio ({@code stream_format} {@code audio});
 * {@code speed} is checked (0.25 to 4) but does not change the audio.
 *
 * <p>Stateless; called on an event loop. It does not take ownership of the body buffer and does not
 * move its reader index.
 */
final class SpeechParser {

    /** Longest {@code input}, in code points: OpenAI's limit. */
    static final int MAX_INPUT_CHARACTERS = 4_096;

    private static final double MIN_SPEED = 0.25;
    private static final double MAX_SPEED = 4.0;

    private SpeechParser() {
    }

    /**
     * Parses {@code body} (not released, reader index unchanged).
     *
     * @throws BadRequestException when the body is not a JSON object, {@code model} or {@code input} is
     *                             missing, or a field has the wrong type or value
     */
    static SpeechRequest parse(ByteBuf body) throws BadRequestException {
        try (InputStream in = new ByteBufInputStream(body.duplicate());
             JsonParser p = Json.FACTORY.createParser(in)) {
            return read(p);
        } catch (StreamReadException e) {
            throw new BadRequestException("Invalid JSON body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequestException("Unreadable body: " + e.getMessage());
        }
    }

    private static SpeechRequest read(JsonParser p) throws IOException, BadRequestException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new BadRequestException("The request body must be a JSON object");
        }
        String model = null;
        String input = null;
        String voice = null;
        SpeechRequest.Format format = SpeechRequest.Format.WAV;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_NULL) {
                continue; // as if absent
            }
            switch (field) {
                case "model" -> model = string(p, value, "model");
                case "input" -> input = string(p, value, "input");
                case "voice" -> voice = string(p, value, "voice");
                case "response_format" -> format = format(string(p, value, "response_format"));
                case "speed" -> speed(p, value);
                case "stream_format" -> streamFormat(string(p, value, "stream_format"));
                default -> p.skipChildren();
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
            throw new BadRequestException("The request body must be a single JSON object");
        }
        if (model == null) {
            throw new BadRequestException("'model' is a required property");
        }
        if (input == null) {
            throw new BadRequestException("'input' is a required property");
        }
        int characters = input.codePointCount(0, input.length());
        if (characters == 0) {
            throw new BadRequestException("'input' must not be empty");
        }
        if (characters > MAX_INPUT_CHARACTERS) {
            throw new BadRequestException("'input' must be at most " + MAX_INPUT_CHARACTERS + " characters, was "
                    + characters);
        }
        return new SpeechRequest(model, input, voice, format);
    }

    private static SpeechRequest.Format format(String value) throws BadRequestException {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "wav" -> SpeechRequest.Format.WAV;
            case "pcm" -> SpeechRequest.Format.PCM;
            default -> throw new BadRequestException(
                    "The simulator produces only wav and pcm audio: 'response_format' '" + value + "' is not supported");
        };
    }

    private static void speed(JsonParser p, JsonToken value) throws IOException, BadRequestException {
        if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
            throw new BadRequestException("'speed' must be a number");
        }
        double speed = p.getDoubleValue();
        if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) {
            throw new BadRequestException("'speed' must be between " + MIN_SPEED + " and " + MAX_SPEED + ", was " + speed);
        }
    }

    private static void streamFormat(String value) throws BadRequestException {
        if (!value.equals("audio")) {
            throw new BadRequestException("The simulator streams raw audio only: 'stream_format' must be 'audio', was '"
                    + value + "'");
        }
    }

    private static String string(JsonParser p, JsonToken value, String field) throws IOException, BadRequestException {
        if (value != JsonToken.VALUE_STRING) {
            throw new BadRequestException("'" + field + "' must be a string");
        }
        return p.getText();
    }
}
