package ai.qubittron.bastion.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseFramerTest {

    private static final String STREAM = "data: {\"a\":1}\n\n"
            + "event: response.created\ndata: {\"b\":\"x\\n\"}\n\n"
            + ": keep-alive comment\n\n"
            + "data: {\"c\":3}\r\n\r\n"
            + "data: [DONE]\n\n";

    private static final List<String> EVENTS = List.of(
            "data: {\"a\":1}\n\n",
            "event: response.created\ndata: {\"b\":\"x\\n\"}\n\n",
            ": keep-alive comment\n\n",
            "data: {\"c\":3}\r\n\r\n",
            "data: [DONE]\n\n");

    @Test
    void cutsWholeEventsWhereverTheNetworkSplitTheStream() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            for (int cut2 = cut; cut2 <= bytes.length; cut2 += 7) {
                List<String> events = new ArrayList<>();
                SseFramer framer = new SseFramer(ByteBufAllocator.DEFAULT, e -> {
                    events.add(e.toString(StandardCharsets.UTF_8));
                    e.release();
                });
                feed(framer, bytes, 0, cut);
                feed(framer, bytes, cut, cut2);
                feed(framer, bytes, cut2, bytes.length);
                framer.finish();
                assertThat(events).as("cut at %d and %d", cut, cut2).isEqualTo(EVENTS);
            }
        }
    }

    @Test
    void anEventInsideOneChunkIsASliceOfItNotACopy() {
        ByteBuf chunk = Unpooled.copiedBuffer(STREAM, StandardCharsets.UTF_8);
        List<ByteBuf> events = new ArrayList<>();
        SseFramer framer = new SseFramer(ByteBufAllocator.DEFAULT, events::add);
        framer.feed(chunk);
        chunk.release();
        assertThat(events).hasSize(5);
        for (ByteBuf event : events) {
            assertThat(event.hasArray()).isTrue();
            assertThat(event.array()).isSameAs(chunk.array());
        }
        assertThat(chunk.refCnt()).isEqualTo(5);
        events.forEach(ByteBuf::release);
        assertThat(chunk.refCnt()).isZero();
    }

    @Test
    void aTrailingEventWithoutBlankLineIsDeliveredAtTheEndAndBlankRestIsDropped() {
        List<String> events = new ArrayList<>();
        SseFramer framer = new SseFramer(ByteBufAllocator.DEFAULT, e -> {
            events.add(e.toString(StandardCharsets.UTF_8));
            e.release();
        });
        ByteBuf chunk = Unpooled.copiedBuffer("data: {\"a\":1}\n\ndata: [DONE]\n", StandardCharsets.UTF_8);
        framer.feed(chunk);
        chunk.release();
        framer.finish();
        assertThat(events).containsExactly("data: {\"a\":1}\n\n", "data: [DONE]\n");

        events.clear();
        ByteBuf blank = Unpooled.copiedBuffer("data: x\n\n\n", StandardCharsets.UTF_8);
        framer.feed(blank);
        blank.release();
        framer.finish();
        assertThat(events).containsExactly("data: x\n\n");
    }

    @Test
    void discardReleasesAnUnfinishedEvent() {
        SseFramer framer = new SseFramer(ByteBufAllocator.DEFAULT, e -> {
            throw new AssertionError("no whole event was fed");
        });
        ByteBuf chunk = Unpooled.copiedBuffer("data: {\"partial\":", StandardCharsets.UTF_8);
        framer.feed(chunk);
        assertThat(chunk.refCnt()).isEqualTo(2);
        framer.discard();
        assertThat(chunk.release()).isTrue();
    }

    private static void feed(SseFramer framer, byte[] bytes, int from, int to) {
        ByteBuf chunk = Unpooled.buffer(to - from).writeBytes(bytes, from, to - from);
        framer.feed(chunk);
        chunk.release();
    }
}
