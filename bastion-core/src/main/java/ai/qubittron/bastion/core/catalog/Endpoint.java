package ai.qubittron.bastion.core.catalog;

import java.util.EnumSet;
import java.util.Set;

/**
 * The model endpoints of the data plane, each with the path it is served at and the path it is
 * forwarded to on an upstream worker (an OpenAI-compatible server). {@code /v1/models} is not one: it
 * names no model and is answered by the gateway itself.
 */
public enum Endpoint {
    /** Chat completions: JSON {@code messages} in, plain or streamed (SSE). */
    CHAT_COMPLETIONS("/v1/chat/completions", "/v1/chat/completions"),
    /** Legacy completions: JSON {@code prompt} in, plain or streamed. */
    COMPLETIONS("/v1/completions", "/v1/completions"),
    /** The Responses API, stateless: JSON {@code input} in, plain or streamed with its event names. */
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

    /** {@return the request path on the gateway} */
    public String path() {
        return path;
    }

    /** {@return the request path on an upstream worker} */
    public String upstreamPath() {
        return upstreamPath;
    }

    /** {@return the text generation endpoints: chat completions, completions and responses (unmodifiable)} */
    public static Set<Endpoint> text() {
        return TEXT;
    }

    /** {@return whether requests to this endpoint are metered in tokens of text (else in audio)} */
    public boolean isText() {
        return TEXT.contains(this);
    }
}
