package ai.qubittron.bastion.core.catalog;

import java.util.EnumSet;
import java.util.Set;

/**
 * The model endpoints of the data plane, each with the path it is served at and the path it is
 * forwarded to on an upstream worker (an OpenAI-compatible server).
 */
public enum Endpoint {
    CHAT_COMPLETIONS("/v1/chat/completions", "/v1/chat/completions"),
    COMPLETIONS("/v1/completions", "/v1/completions"),
    RESPONSES("/v1/responses", "/v1/responses"),
    /** Speech to text: a {@code multipart/form-data} upload, relayed as a stream. */
    TRANSCRIPTIONS("/v1/audio/transcriptions", "/v1/audio/transcriptions"),
    /** Text to speech: JSON in, audio out; one level above {@code /v1}, forwarded to OpenAI's speech path. */
    TEXT_TO_SPEECH("/api/v1/tts/text_to_audio", "/v1/audio/speech");

    private static final Set<Endpoint> TEXT = Set.copyOf(EnumSet.of(CHAT_COMPLETIONS, COMPLETIONS, RESPONSES));

    private final String path;
    private final String upstreamPath;

    Endpoint(String path, String upstreamPath) {
        this.path = path;
        this.upstreamPath = upstreamPath;
    }

    /** The request path on the gateway. */
    public String path() {
        return path;
    }

    /** The request path on an upstream worker. */
    public String upstreamPath() {
        return upstreamPath;
    }

    /** The text generation endpoints: chat completions, completions and responses. */
    public static Set<Endpoint> text() {
        return TEXT;
    }

    /** Whether requests to this endpoint are metered in tokens of text (else in audio). */
    public boolean isText() {
        return TEXT.contains(this);
    }
}
