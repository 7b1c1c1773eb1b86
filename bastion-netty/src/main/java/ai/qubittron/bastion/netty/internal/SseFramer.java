package ai.qubittron.bastion.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.ByteProcessor;

/**
 * Cuts a server-sent-events byte stream into whole events (each ending with a blank line, {@code \n\n}
 * or {@code \r\n\r\n}), however the network split it, without copying: an event is a retained slice of
 * the chunk it arrived in, or a composite of slices when it spans chunks.
 *
 * <p>Not thread-safe: used by the one event loop that relays the stream.
 */
final class SseFramer {

    /** The largest event accepted: 16 MiB (a Responses {@code response.completed} event repeats the whole output). */
    static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;

    /** Receives each whole event. */
    interface Listener {
        /** @param event one whole event including its terminating blank line; ownership passes to the callee */
        void onEvent(ByteBuf event);
    }

    private final ByteBufAllocator alloc;
    private final Listener listener;
    private final Boundary boundary = new Boundary();
    private CompositeByteBuf partial;

    SseFramer(ByteBufAllocator alloc, Listener listener) {
        this.alloc = alloc;
        this.listener = listener;
    }

    /**
     * Feeds the next bytes of the stream and hands every event they complete to the listener. Line
     * ends are LF or CRLF (what OpenAI-compatible servers send); a lone CR does not end a line.
     *
     * @param chunk not retained beyond this call except through the slices handed out; ownership stays
     *              with the caller
     * @return {@code false} when an unfinished event has grown past {@link #MAX_EVENT_BYTES}; the stream
     *         is then unusable and the caller should abort it
     */
    boolean feed(ByteBuf chunk) {
        int start = chunk.readerIndex();
        int end = chunk.writerIndex();
        while (start < end) {
            int last = chunk.forEachByte(start, end - start, boundary);
            if (last < 0) {
                append(chunk.retainedSlice(start, end - start));
                return partial.readableBytes() <= MAX_EVENT_BYTES;
            }
            ByteBuf piece = chunk.retainedSlice(start, last + 1 - start);
            if (partial != null) {
                append(piece);
                piece = partial;
                partial = null;
            }
            listener.onEvent(piece);
            start = last + 1;
        }
        return true;
    }

    /** Hands out what remains at the end of the stream as a last event (a stream may omit the final blank line). */
    void finish() {
        if (partial != null) {
            CompositeByteBuf rest = partial;
            partial = null;
            if (rest.isReadable() && rest.forEachByte(b -> b == '\n' || b == '\r' || b == ' ') >= 0) {
                listener.onEvent(rest);
            } else {
                rest.release();
            }
        }
        boundary.reset();
    }

    /** Releases buffered bytes of an unfinished event; for an aborted relay. */
    void discard() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        boundary.reset();
    }

    private void append(ByteBuf piece) {
        if (partial == null) {
            partial = alloc.compositeBuffer(Integer.MAX_VALUE);
        }
        partial.addComponent(true, piece);
    }

    /** Finds the line feed that ends a blank line; its state carries over chunk boundaries. */
    private static final class Boundary implements ByteProcessor {
        private boolean afterLineFeed;

        @Override
        public boolean process(byte value) {
            if (value == '\n') {
                if (afterLineFeed) {
                    afterLineFeed = false;
                    return false;
                }
                afterLineFeed = true;
            } else if (value != '\r') {
                afterLineFeed = false;
            }
            return true;
        }

        void reset() {
            afterLineFeed = false;
        }
    }
}
