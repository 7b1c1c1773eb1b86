package ai.qubittron.bastion.core.metering;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MeteringTest {

    private final ResponseInspector inspector = new ResponseInspector();

    @Test
    void readsChatUsageAndFinish() {
        assertThat(inspect("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,"
                + "\"total_tokens\":15,\"prompt_tokens_details\":{\"cached_tokens\":9}}}")).isTrue();
        assertThat(inspector.hasUsage()).isTrue();
        assertThat(inspector.inputTokens()).isEqualTo(12);
        assertThat(inspector.outputTokens()).isEqualTo(3);
        assertThat(inspector.carriesTokens()).isFalse();

        inspect("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        assertThat(inspector.finishesChoice()).isTrue();
        assertThat(inspector.hasUsage()).isFalse();
    }

    @Test
    void tellsTokenChunksFromRoleChunks() {
        inspect("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
        assertThat(inspector.carriesTokens()).isFalse();
        assertThat(inspector.finishesChoice()).isFalse();
        inspect("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" ok\"},\"finish_reason\":null}]}");
        assertThat(inspector.carriesTokens()).isTrue();
        inspect("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}");
        assertThat(inspector.carriesTokens()).isTrue();
        inspect("{\"choices\":[{\"index\":0,\"text\":\" Ottawa\",\"finish_reason\":null}]}");
        assertThat(inspector.carriesTokens()).isTrue();
    }

    @Test
    void readsResponsesEvents() {
        inspect("{\"type\":\"response.output_text.delta\",\"delta\":\"ok\",\"sequence_number\":4}");
        assertThat(inspector.carriesTokens()).isTrue();
        assertThat(inspector.type()).isEqualTo("response.output_text.delta");
        inspect("{\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":{\"input_tokens\":7,"
                + "\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":2,\"total_tokens\":9}}}");
        assertThat(inspector.type()).isEqualTo("response.completed");
        assertThat(inspector.inputTokens()).isEqualTo(7);
        assertThat(inspector.outputTokens()).isEqualTo(2);
    }

    @Test
    void spliceAddsAMemberWithoutTouchingTheRest() {
        assertThat(splice("data: {\"a\":1}\n\n")).isEqualTo("data: {\"a\":1,\"m\":2}\n\n");
        assertThat(splice("{ }")).isEqualTo("{ \"m\":2}");
        assertThat(splice("{\"a\":{\"b\":[]}}  \n")).isEqualTo("{\"a\":{\"b\":[]},\"m\":2}  \n");
        assertThat(splice("no object")).isEqualTo("no object");
    }

    @Test
    void xMetricsAreComputedFromTheClock() {
        RelayMeter meter = new RelayMeter(1_000_000_000L);
        meter.firstByte(1_300_000_000L);
        assertThat(meter.sawToken()).isFalse();
        meter.tokenEvent(1_380_000_000L);
        assertThat(meter.sawToken()).isTrue();
        assertThat(meter.ttftNanos()).isEqualTo(380_000_000L);
        for (int i = 0; i < 9; i++) {
            meter.tokenEvent(1_400_000_000L + i);
        }
        meter.end(2_240_000_000L);
        assertThat(meter.outputTokens()).isEqualTo(10);
        meter.usage(20, 43);
        assertThat(meter.xMetricsMember(true))
                .isEqualTo("\"x_metrics\":{\"ttft_seconds\":0.38,\"tps\":50,\"total_time_seconds\":1.24}");
        assertThat(meter.xMetricsMember(false))
                .isEqualTo("\"x_metrics\":{\"ttft_seconds\":0.38,\"tps\":34.7,\"total_time_seconds\":1.24}");
    }

    @Test
    void decimalsAreShortAndExact() {
        StringBuilder out = new StringBuilder();
        Decimals.append(out, 0.00004, 4);
        out.append(' ');
        Decimals.append(out, 12.30001, 4);
        out.append(' ');
        Decimals.append(out, 0.05, 1);
        assertThat(out).hasToString("0 12.3 0.1");
    }

    private boolean inspect(String json) {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return inspector.inspect(buf);
        } finally {
            buf.release();
        }
    }

    private static String splice(String json) {
        ByteBuf out = JsonSplice.insertMember(ByteBufAllocator.DEFAULT,
                ByteBufAllocator.DEFAULT.buffer().writeBytes(json.getBytes(StandardCharsets.UTF_8)), "\"m\":2");
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }
}
