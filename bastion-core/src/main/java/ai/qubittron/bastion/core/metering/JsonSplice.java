package ai.qubittron.bastion.core.metering;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Adds a member to the last JSON object of a buffer by splicing, not re-encoding: the result is a
 * composite of the bytes before the object's closing brace, the new member, and the rest. Only the new
 * member's bytes are written; the original bytes are shared (retained slices). Stateless.
 */
public final class JsonSplice {

    private JsonSplice() {
    }

    /**
     * Inserts {@code member} (e.g. <code>"x_metrics":{…}</code>, ASCII) before the last closing brace of
     * {@code json}, with a comma when the object already has members.
     *
     * @param alloc  allocates the new member's bytes and the composite
     * @param json   takes ownership: released here, or returned as is when it holds no closing brace
     * @param member the member's text, {@code "name":value}, without a comma
     * @return a buffer the caller owns
     */
    public static ByteBuf insertMember(ByteBufAllocator alloc, ByteBuf json, String member) {
        int start = json.readerIndex();
        int brace = json.forEachByteDesc(start, json.readableBytes(), b -> b != '}');
        if (brace < 0) {
            return json;
        }
        int previous = brace == start ? -1 : json.forEachByteDesc(start, brace - start,
                b -> b == ' ' || b == '\n' || b == '\r' || b == '\t');
        boolean empty = previous >= 0 && json.getByte(previous) == '{';
        ByteBuf inserted = alloc.buffer(member.length() + 1);
        if (!empty) {
            inserted.writeByte(',');
        }
        inserted.writeCharSequence(member, StandardCharsets.US_ASCII);
        CompositeByteBuf out = alloc.compositeBuffer(3);
        out.addComponents(true,
                json.retainedSlice(start, brace - start),
                inserted,
                json.retainedSlice(brace, json.writerIndex() - brace));
        json.release();
        return out;
    }
}
