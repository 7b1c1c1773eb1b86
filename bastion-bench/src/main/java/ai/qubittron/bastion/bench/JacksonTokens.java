package ai.qubittron.bastion.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteBufferFeeder;
import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * The peer of the inspector benchmarks: Jackson's non-blocking parser, fed from a buffer's NIO view,
 * only tokenizing a document, as the inspectors did before they had a scanner of their own.
 */
public final class JacksonTokens {

    private JacksonTokens() {
    }

    /** Tokenizes {@code json} (from its reader index, not consumed) with a new parser of {@code factory}'s. */
    public static int count(JsonFactory factory, ByteBuf json) throws IOException {
        int tokens = 0;
        try (JsonParser parser = factory.createNonBlockingByteBufferParser()) {
            ByteBufferFeeder feeder = (ByteBufferFeeder) parser.getNonBlockingInputFeeder();
            feeder.feedInput(json.nioBuffer());
            feeder.endOfInput();
            JsonToken token;
            while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
                tokens++;
            }
        }
        return tokens;
    }
}
