package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimFaults;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The JSON of {@code /admin/config} and {@code /admin/faults}: snake_case fields, read as a partial
 * update of the current value and written in full. Stateless; does not take ownership of buffers.
 */
final class AdminCodec {

    private AdminCodec() {
    }

    /** {@code current} with the fields present in {@code body} changed; 400 on an unknown field or bad value. */
    static SimConfig readConfig(SimConfig current, ByteBuf body) throws BadRequestException {
        SimConfig.Builder b = current.toBuilder();
        readObject(body, (field, p) -> {
            switch (field) {
                case "overhead_millis" -> b.overheadMillis(intValue(p, field));
                case "prefill_micros_per_token" -> b.prefillMicrosPerToken(intValue(p, field));
                case "inter_token_millis" -> b.interTokenMillis(intValue(p, field));
                case "max_running" -> b.maxRunning(intValue(p, field));
                case "slowdown_per_running" -> b.slowdownPerRunning(doubleValue(p, field));
                case "default_max_tokens" -> b.defaultMaxTokens(intValue(p, field));
                case "kv_cache_tokens" -> b.kvCacheTokens(intValue(p, field));
                case "transcription_micros_per_audio_second" -> b.transcriptionMicrosPerAudioSecond(intValue(p, field));
                case "speech_micros_per_audio_second" -> b.speechMicrosPerAudioSecond(intValue(p, field));
                default -> throw new BadRequestException("unknown config field '" + field + "'");
            }
        });
        return b.build();
    }

    /** {@code current} with the fields present in {@code body} changed; 400 on an unknown field or bad value. */
    static SimFaults readFaults(SimFaults current, ByteBuf body) throws BadRequestException {
        SimFaults.Builder b = current.toBuilder();
        readObject(body, (field, p) -> {
            switch (field) {
                case "error_rate" -> b.errorRate(doubleValue(p, field));
                case "close_after_chunks" -> b.closeAfterChunks(intValue(p, field));
                default -> throw new BadRequestException("unknown faults field '" + field + "'");
            }
        });
        return b.build();
    }

    static void writeConfig(JsonGenerator g, SimConfig c) throws IOException {
        g.writeStartObject();
        g.writeNumberField("overhead_millis", c.overheadMillis());
        g.writeNumberField("prefill_micros_per_token", c.prefillMicrosPerToken());
        g.writeNumberField("inter_token_millis", c.interTokenMillis());
        g.writeNumberField("max_running", c.maxRunning());
        g.writeNumberField("slowdown_per_running", c.slowdownPerRunning());
        g.writeNumberField("default_max_tokens", c.defaultMaxTokens());
        g.writeNumberField("kv_cache_tokens", c.kvCacheTokens());
        g.writeNumberField("transcription_micros_per_audio_second", c.transcriptionMicrosPerAudioSecond());
        g.writeNumberField("speech_micros_per_audio_second", c.speechMicrosPerAudioSecond());
        g.writeEndObject();
    }

    static void writeFaults(JsonGenerator g, SimFaults f) throws IOException {
        g.writeStartObject();
        g.writeNumberField("error_rate", f.errorRate());
        g.writeNumberField("close_after_chunks", f.closeAfterChunks());
        g.writeEndObject();
    }

    private interface FieldReader {
        void read(String field, JsonParser p) throws IOException, BadRequestException;
    }

    private static void readObject(ByteBuf body, FieldReader reader) throws BadRequestException {
        try (InputStream in = new ByteBufInputStream(body.duplicate()); JsonParser p = Json.FACTORY.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadRequestException("The request body must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                try {
                    reader.read(field, p);
                } catch (IllegalArgumentException e) {
                    throw new BadRequestException(e.getMessage());
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new BadRequestException("The request body must be a single JSON object");
            }
        } catch (StreamReadException e) {
            throw new BadRequestException("Invalid JSON body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequestException("Unreadable body: " + e.getMessage());
        }
    }

    private static int intValue(JsonParser p, String field) throws IOException, BadRequestException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw new BadRequestException("'" + field + "' must be an integer");
        }
        return p.getIntValue();
    }

    private static double doubleValue(JsonParser p, String field) throws IOException, BadRequestException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw new BadRequestException("'" + field + "' must be a number");
        }
        return p.getDoubleValue();
    }
}
