package ai.qubittron.bastion.core.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VllmLoadTest {

    @Test
    void readsVllmMetricsSummingWaitingAndTakingTheFullestCache() {
        VllmLoad load = parse("""
                # HELP vllm:num_requests_running Number of requests in model execution batches.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{engine="0",model_name="gpt-oss-120b"} 32.0
                # TYPE vllm:num_requests_waiting gauge
                vllm:num_requests_waiting{engine="0",model_name="gpt-oss-120b"} 7.0
                vllm:num_requests_waiting{engine="1",model_name="gpt-oss-120b"} 5.0
                vllm:num_requests_waiting_by_reason{reason="capacity"} 99.0
                vllm:kv_cache_usage_perc{engine="0",model_name="a}b\\"c"} 0.5
                vllm:kv_cache_usage_perc{engine="1",model_name="gpt-oss-120b"} 0.93 1700000000000
                """);
        assertThat(load.waitingRequests()).isEqualTo(12);
        assertThat(load.kvCacheUsage()).isEqualTo(0.93);
    }

    @Test
    void readsTheOlderCacheNameAndUnlabelledSamples() {
        VllmLoad load = parse("vllm:num_requests_waiting 3\r\nvllm:gpu_cache_usage_perc 1.5\r\n");
        assertThat(load.waitingRequests()).isEqualTo(3);
        assertThat(load.kvCacheUsage()).isEqualTo(1.0);
    }

    @Test
    void anotherServerOrGarbageIsUnknownAndNeverOverloaded() {
        assertThat(parse("# nothing here\nhttp_requests_total 5\n")).isEqualTo(VllmLoad.UNKNOWN);
        assertThat(parse("")).isEqualTo(VllmLoad.UNKNOWN);
        assertThat(parse("vllm:num_requests_waiting{model_name=\"x\"} NaN\nvllm:num_requests_waiting{\n"
                + "vllm:kv_cache_usage_perc{x=\"1\"} abc\nvllm:num_requests_waiting")).isEqualTo(VllmLoad.UNKNOWN);
        assertThat(VllmLoad.UNKNOWN.overloaded(1, 0.5)).isFalse();
    }

    @Test
    void overloadedWhenTheQueueIsLongOrTheCacheIsFullWithAQueue() {
        assertThat(new VllmLoad(64, 0.2).overloaded(64, 0.99)).isTrue();
        assertThat(new VllmLoad(63, 0.2).overloaded(64, 0.99)).isFalse();
        assertThat(new VllmLoad(1, 0.995).overloaded(64, 0.99)).isTrue();
        assertThat(new VllmLoad(0, 1.0).overloaded(64, 0.99)).isFalse();
        assertThat(new VllmLoad(-1, 1.0).overloaded(64, 0.99)).isFalse();
    }

    @Test
    void leavesTheBufferIndexesAlone() {
        ByteBuf buf = Unpooled.copiedBuffer("xxvllm:num_requests_waiting 2\n", StandardCharsets.US_ASCII);
        buf.readerIndex(2);
        assertThat(VllmLoad.parse(buf).waitingRequests()).isEqualTo(2);
        assertThat(buf.readerIndex()).isEqualTo(2);
        buf.release();
    }

    private static VllmLoad parse(String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            return VllmLoad.parse(buf);
        } finally {
            buf.release();
        }
    }
}
