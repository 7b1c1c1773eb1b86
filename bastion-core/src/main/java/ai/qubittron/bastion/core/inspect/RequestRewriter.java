package ai.qubittron.bastion.core.inspect;

import ai.qubittron.bastion.core.catalog.Endpoint;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the body the upstream receives from the body the client sent, by splicing, never re-encoding:
 * the result is the client's bytes (retained slices) with at most these edits, each only when needed:
 * <ul>
 *   <li>the {@code model} value replaced by the upstream's name for the model (the client used an alias),
 *       or added when a text-to-speech request left it out;</li>
 *   <li>an output limit added when the client set none, so the reservation made for the request is a
 *       true bound on what it can cost;</li>
 *   <li>{@code stream_options.include_usage} made {@code true} on streams, so every stream reports its
 *       usage (the relay hides the usage chunk from a client that did not ask for it).</li>
 * </ul>
 * Every other byte, unknown fields and odd Unicode included, is forwarded as it came. Stateless and
 * thread-safe.
 */
public final class RequestRewriter {

    private RequestRewriter() {
    }

    /**
     * Makes the upstream's body.
     *
     * @param alloc          allocates the composite and the inserted bytes
     * @param content        the client's body; not consumed, not released (the result holds retained slices)
     * @param request        what {@link RequestInspector} read of {@code content}, from the same reader index
     * @param upstreamName   the model name the upstream serves
     * @param outputLimit    the limit to add when the client set none, or {@link InspectedRequest#NO_LIMIT} to add none
     * @return a buffer the caller owns: a retained duplicate when nothing changes, else a composite
     */
    public static ByteBuf rewrite(ByteBufAllocator alloc, ByteBuf content, InspectedRequest request, String upstreamName,
                                  long outputLimit) {
        List<Edit> edits = new ArrayList<>(4);
        if (request.model() == null) {
            // a text-to-speech request for the default model: the upstream is told which
            edits.add(new Edit(request.rootStart() + 1, request.rootStart() + 1, "\"model\":" + quote(upstreamName) + ","));
        } else if (!upstreamName.equals(request.model())
                || request.modelEnd() - request.modelStart() != upstreamName.getBytes(StandardCharsets.UTF_8).length + 2) {
            edits.add(new Edit(request.modelStart(), request.modelEnd(), quote(upstreamName)));
        }
        if (outputLimit != InspectedRequest.NO_LIMIT && request.maxOutputTokens() == InspectedRequest.NO_LIMIT) {
            String field = request.endpoint() == Endpoint.RESPONSES ? "max_output_tokens" : "max_tokens";
            if (request.nullLimitStart() >= 0) {
                edits.add(new Edit(request.nullLimitStart(), request.nullLimitStart() + 4, Long.toString(outputLimit)));
            } else {
                edits.add(new Edit(request.rootStart() + 1, request.rootStart() + 1, "\"" + field + "\":" + outputLimit + ","));
            }
        }
        if (request.stream() && !request.includeUsage() && request.endpoint().isText()
                && request.endpoint() != Endpoint.RESPONSES) {
            if (request.includeUsageStart() >= 0) {
                edits.add(new Edit(request.includeUsageStart(), request.includeUsageEnd(), "true"));
            } else if (request.hasStreamOptions()) {
                int at = request.streamOptionsStart() + 1;
                edits.add(new Edit(at, at, "\"include_usage\":true" + (request.streamOptionsMembers() > 0 ? "," : "")));
            } else if (request.streamOptionsStart() >= 0) {
                // "stream_options": null
                edits.add(new Edit(request.streamOptionsStart(), request.streamOptionsStart() + 4, "{\"include_usage\":true}"));
            } else {
                edits.add(new Edit(request.rootStart() + 1, request.rootStart() + 1, "\"stream_options\":{\"include_usage\":true},"));
            }
        }
        if (edits.isEmpty()) {
            return content.retainedDuplicate();
        }
        edits.sort((a, b) -> a.from != b.from ? Integer.compare(a.from, b.from) : Integer.compare(a.to, b.to));
        int base = content.readerIndex();
        CompositeByteBuf body = alloc.compositeBuffer(edits.size() * 2 + 1);
        int position = 0;
        for (Edit edit : edits) {
            if (edit.from > position) {
                body.addComponent(true, content.retainedSlice(base + position, edit.from - position));
            }
            body.addComponent(true, Unpooled.wrappedBuffer(edit.text.getBytes(StandardCharsets.UTF_8)));
            position = Math.max(position, edit.to);
        }
        if (position < content.readableBytes()) {
            body.addComponent(true, content.retainedSlice(base + position, content.readableBytes() - position));
        }
        return body;
    }

    private static String quote(String value) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + "\"";
    }

    /** Replace bytes {@code [from, to)} with {@code text}; an insertion when {@code from == to}. */
    private record Edit(int from, int to, String text) {
    }
}
