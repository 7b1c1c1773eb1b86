package ai.qubittron.bastion.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class LeakDetectionExtensionTest {

    @Test
    void anUnreleasedBufferIsReported() {
        leakOne();
        assertThat(LeakDetectionExtension.drainLeaks()).anySatisfy(leak -> assertThat(leak).contains("LEAK"));
    }

    @Test
    void aReleasedBufferIsNotReported() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        buf.writeLong(1L);
        buf.release();
        assertThat(LeakDetectionExtension.drainLeaks()).isEmpty();
    }

    private static void leakOne() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        buf.writeLong(42L);
        // dropped without release(): the detector must see it once it is collected
    }
}
