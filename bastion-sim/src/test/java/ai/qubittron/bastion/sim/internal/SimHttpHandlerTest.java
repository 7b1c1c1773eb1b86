package ai.qubittron.bastion.sim.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimFaults;
import ai.qubittron.bastion.sim.SimText;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handler on an EmbeddedChannel: every request buffer is released, and so is every response buffer once read. */
class SimHttpHandlerTest {

    private static final SimConfig NO_DELAY = SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0)
            .interTokenMillis(0).transcriptionMicrosPerAudioSecond(0).speechMicrosPerAudioSecond(0).build();

    private static SimEngine engine() {
        return new SimEngine(List.of("m"), NO_DELAY, SimFaults.NONE, 1L);
    }

    private static FullHttpRequest post(String uri, String json) {
        ByteBuf body = ByteBufUtil.writeUtf8(PooledByteBufAllocator.DEFAULT, json);
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri, body);
    }

    @Test
    void aNonStreamedRequestIsReleasedAndAnswered() {
        SimEngine engine = engine();
        EmbeddedChannel ch = new EmbeddedChannel(new SimHttpHandler(engine));
        FullHttpRequest request = post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"p\",\"max_tokens\":3}");

        ch.writeInbound(request);
        ch.runPendingTasks();

        assertThat(request.refCnt()).isZero();
        FullHttpResponse response = ch.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(200);
            assertThat(response.content().toString(StandardCharsets.UTF_8)).contains(SimText.completion(1L, "p", 3));
        } finally {
            response.release();
        }
        assertThat(engine.stats().requestsCompleted()).isEqualTo(1);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aStreamWritesOneContentPerEventAndEveryBufferIsReleasable() {
        SimEngine engine = engine();
        EmbeddedChannel ch = new EmbeddedChannel(new SimHttpHandler(engine));
        ch.writeInbound(post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,\"max_tokens\":2,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"p\"}]}"));
        ch.runPendingTasks();

        HttpResponse head = ch.readOutbound();
        assertThat(head.headers().get("content-type")).startsWith("text/event-stream");
        int contents = 0;
        Object msg;
        boolean last = false;
        while ((msg = ch.readOutbound()) != null) {
            assertThat(msg).isInstanceOf(HttpContent.class);
            last = msg instanceof LastHttpContent;
            if (!last) {
                contents++;
            }
            ReferenceCountUtil.release(msg);
        }
        assertThat(last).isTrue();
        assertThat(contents).isEqualTo(1 + 2 + 1 + 1); // role, 2 tokens, finish, [DONE]
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void pipelinedRequestsHeldWhenTheConnectionClosesAreReleased() {
        SimEngine engine = new SimEngine(List.of("m"), NO_DELAY.toBuilder().interTokenMillis(1_000).build(), SimFaults.NONE, 1L);
        EmbeddedChannel ch = new EmbeddedChannel(new SimHttpHandler(engine));
        FullHttpRequest first = post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"p\"}");
        FullHttpRequest second = post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"q\"}");

        ch.writeInbound(first, second);
        ch.runPendingTasks();
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isEqualTo(1); // held until the first is answered
        assertThat(engine.stats().running()).isEqualTo(1);

        ch.close();
        assertThat(second.refCnt()).isZero();
        assertThat(engine.stats().requestsCancelled()).isEqualTo(1);
        assertThat(engine.stats().running()).isZero();
        ch.finishAndReleaseAll();
    }

    private static FullHttpRequest upload(String form) {
        FullHttpRequest request = post("/v1/audio/transcriptions", form);
        request.headers().set("content-type", "multipart/form-data; boundary=b");
        return request;
    }

    @Test
    void aTranscriptionUploadIsReleasedAndAnsweredOnce() {
        SimEngine engine = engine();
        EmbeddedChannel ch = new EmbeddedChannel(new SimHttpHandler(engine));
        FullHttpRequest request = upload("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n"
                + "x".repeat(16_000) + "\r\n--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nm\r\n--b--\r\n");

        ch.writeInbound(request);
        ch.runPendingTasks();

        assertThat(request.refCnt()).isZero();
        FullHttpResponse response = ch.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(200);
            assertThat(response.content().toString(StandardCharsets.UTF_8))
                    .isEqualTo("{\"text\":\"" + SimText.transcript(1L, 1_000) + "\",\"usage\":{\"type\":\"duration\",\"seconds\":1}}");
        } finally {
            response.release();
        }
        assertThat(engine.stats().requestsCompleted()).isEqualTo(1);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aBrokenUploadIsReleasedAndAnswered400() {
        EmbeddedChannel ch = new EmbeddedChannel(new SimHttpHandler(engine()));
        FullHttpRequest request = upload("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc");

        ch.writeInbound(request);
        ch.runPendingTasks();

        assertThat(request.refCnt()).isZero();
        FullHttpResponse response = ch.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(400);
        } finally {
            response.release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void speechIsAHeadThenOneContentPer250MsThenTheEnd() {
        SimEngine engine = engine();
        EmbeddedChannel ch = new EmbeddedChannel(new SimHttpHandler(engine));
        ch.writeInbound(post("/v1/audio/speech", "{\"model\":\"m\",\"input\":\"" + "s".repeat(10) + "\"}"));
        ch.runPendingTasks();

        HttpResponse head = ch.readOutbound();
        assertThat(head.headers().get("content-type")).isEqualTo("audio/wav");
        assertThat(head.headers().get("transfer-encoding")).isEqualTo("chunked");
        int bytes = 0;
        int contents = 0;
        Object msg;
        boolean last = false;
        while ((msg = ch.readOutbound()) != null) {
            last = msg instanceof LastHttpContent;
            bytes += ((HttpContent) msg).content().readableBytes();
            contents += last ? 0 : 1;
            ReferenceCountUtil.release(msg);
        }
        assertThat(last).isTrue();
        // 600 ms: 250 + 250 + 100
        assertThat(contents).isEqualTo(3);
        assertThat(bytes).isEqualTo(Wav.HEADER_BYTES + 600 * 48);
        assertThat(engine.stats().requestsCompleted()).isEqualTo(1);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aSpeechStreamCancelledByTheConnectionStopsAndCounts() {
        SimEngine engine = new SimEngine(List.of("m"), NO_DELAY.toBuilder().speechMicrosPerAudioSecond(250_000).build(),
                SimFaults.NONE, 1L);
        EmbeddedChannel ch = new EmbeddedChannel(new SimHttpHandler(engine));
        FullHttpRequest next = post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"p\"}");
        ch.writeInbound(post("/v1/audio/speech", "{\"model\":\"m\",\"input\":\"long enough\"}"), next);
        ch.runPendingTasks();
        assertThat(next.refCnt()).isEqualTo(1); // waits behind the stream

        ch.close();

        assertThat(next.refCnt()).isZero();
        assertThat(engine.stats().requestsCancelled()).isEqualTo(1);
        assertThat(engine.stats().requestsCompleted()).isZero();
        ch.finishAndReleaseAll();
    }
}
