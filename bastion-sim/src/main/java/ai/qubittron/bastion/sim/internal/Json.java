package ai.qubittron.bastion.sim.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The shared jackson-core factory and the way JSON is written straight into a {@link ByteBuf}. Thread-safe. */
public final class Json {

    /** Shared, thread-safe factory; generators do not close the target stream. */
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private Json() {
    }

    /** Writes one JSON value with a generator. */
    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    /**
     * Appends {@code body} as JSON to {@code buf}. On failure {@code buf} is left as is (the caller
     * still owns it and must release it).
     */
    public static void append(ByteBuf buf, Body body) {
        try (JsonGenerator g = FACTORY.createGenerator((java.io.OutputStream) new ByteBufOutputStream(buf))) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new buffer holding {@code body} as JSON; the caller owns it. Released here if writing fails. */
    public static ByteBuf encode(ByteBufAllocator alloc, Body body) {
        ByteBuf buf = alloc.buffer(256);
        try {
            append(buf, body);
            return buf;
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }
}
