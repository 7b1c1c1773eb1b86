package ai.qubittron.bastion.core.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.async.ByteBufferFeeder;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads a JSON document held in a {@link ByteBuf} token by token with Jackson's non-blocking parser,
 * fed straight from the buffer's NIO views: nothing is copied into a {@code byte[]} and no tree is
 * built. Subclasses look at the tokens they care about in {@link #onToken}, tracking where they are
 * with {@link #depth()} and {@link #fieldAt(int)}.
 *
 * <p>Duplicate keys are rejected ({@link StreamReadFeature#STRICT_DUPLICATE_DETECTION}): the gateway and
 * the upstream must never disagree about which {@code model} a request names. (Upstream documents, read
 * once per streamed token, are read by the allocation-free {@link JsonScanner} instead.)
 *
 * <p>Not thread-safe; one instance reads one document at a time on one thread. The buffer is not
 * retained, released or moved: ownership stays with the caller.
 */
public abstract class ByteBufJsonReader {

    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final int MAX_TRACKED_DEPTH = 8;

    private final String[] fields = new String[MAX_TRACKED_DEPTH + 1];
    private final boolean[] arrays = new boolean[MAX_TRACKED_DEPTH + 1];
    private int depth;

    /**
     * Reads the whole document; {@link #onToken} sees every token, then {@link #onEnd} runs.
     *
     * @param json the document, from its reader index to its writer index; not consumed, not released
     * @throws IOException when the bytes are not one well-formed JSON value (trailing content included)
     */
    protected final void read(ByteBuf json) throws IOException {
        depth = 0;
        try (JsonParser parser = STRICT.createNonBlockingByteBufferParser()) {
            ByteBufferFeeder feeder = (ByteBufferFeeder) parser.getNonBlockingInputFeeder();
            int values = 0;
            if (json.isReadable()) {
                for (ByteBuffer chunk : json.nioBuffers(json.readerIndex(), json.readableBytes())) {
                    feeder.feedInput(chunk);
                    values = drain(parser, values);
                }
            }
            feeder.endOfInput();
            drain(parser, values);
            if (depth != 0 || values == 0) {
                throw new IOException("Unexpected end of input");
            }
        }
        onEnd();
    }

    private int drain(JsonParser parser, int values) throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
            if (depth == 0) {
                if (values > 0) {
                    throw new IOException("Unexpected content after the end of the JSON document");
                }
                values++;
            }
            switch (token) {
                case START_OBJECT, START_ARRAY -> {
                    onToken(token, parser);
                    depth++;
                    if (depth <= MAX_TRACKED_DEPTH) {
                        fields[depth] = null;
                        arrays[depth] = token == JsonToken.START_ARRAY;
                    }
                }
                case END_OBJECT, END_ARRAY -> {
                    depth--;
                    onToken(token, parser);
                }
                case FIELD_NAME -> {
                    if (depth <= MAX_TRACKED_DEPTH) {
                        fields[depth] = parser.currentName();
                    }
                    onToken(token, parser);
                }
                default -> onToken(token, parser);
            }
        }
        return values;
    }

    /**
     * Called for every token. For a start token {@link #depth()} is still the depth of the container
     * it opens in; for an end token it is already back to that depth; for a field name or a scalar it
     * is the depth of the enclosing container (1 for the top-level object's members).
     */
    protected abstract void onToken(JsonToken token, JsonParser parser) throws IOException;

    /** Called once the whole document has been read without error. */
    protected void onEnd() throws IOException {
    }

    /** How many containers enclose the current token. */
    protected final int depth() {
        return depth;
    }

    /**
     * The name of the member being read in the container at {@code level} (1 = the top-level object),
     * or {@code null} when that container is an array or deeper than tracked.
     */
    protected final String fieldAt(int level) {
        return level <= MAX_TRACKED_DEPTH && level <= depth && !arrays[level] ? fields[level] : null;
    }

    /** Whether the container at {@code level} is an array. */
    protected final boolean isArrayAt(int level) {
        return level <= MAX_TRACKED_DEPTH && level <= depth && arrays[level];
    }
}
