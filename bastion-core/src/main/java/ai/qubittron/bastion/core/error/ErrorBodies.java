package ai.qubittron.bastion.core.error;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds the OpenAI-shaped error bodies {@code {"error":{"message","type","code"}}}.
 *
 * <p>Bodies with a fixed message (the 401 above all, which is answered to every scanner on the
 * internet) are built once; the returned arrays are shared and must not be modified. Stateless; any
 * thread.
 */
public final class ErrorBodies {

    /** The message of every 401, exactly as the product documents show it. */
    public static final String INVALID_API_KEY_MESSAGE = "Invalid API key";

    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] INVALID_API_KEY_BODY = json(ErrorKind.INVALID_API_KEY, INVALID_API_KEY_MESSAGE);

    private ErrorBodies() {
    }

    /** {@return the 401 body with {@link #INVALID_API_KEY_MESSAGE}, built once; shared, do not modify} */
    public static byte[] invalidApiKey() {
        return INVALID_API_KEY_BODY;
    }

    /**
     * Builds the body for the given kind and message, as UTF-8 JSON.
     *
     * @param kind    the failure, which gives {@code type} and {@code code}
     * @param message the human-readable {@code message}; JSON-escaped here
     * @return a new array the caller owns
     */
    public static byte[] json(ErrorKind kind, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96 + message.length());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", kind.type());
            g.writeStringField("code", kind.code());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
