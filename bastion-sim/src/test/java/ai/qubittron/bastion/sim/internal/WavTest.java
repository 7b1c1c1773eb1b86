package ai.qubittron.bastion.sim.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WavTest {

    /** A 16-bit PCM header for {@code dataBytes} (declared), then {@code present} bytes of samples. */
    private static ByteBuf wav(int sampleRate, int channels, long declared, int present) {
        ByteBuf b = Unpooled.buffer();
        int blockAlign = channels * 2;
        b.writeCharSequence("RIFF", StandardCharsets.US_ASCII);
        b.writeIntLE((int) (36 + declared));
        b.writeCharSequence("WAVEfmt ", StandardCharsets.US_ASCII);
        b.writeIntLE(16).writeShortLE(1).writeShortLE(channels).writeIntLE(sampleRate).writeIntLE(sampleRate * blockAlign)
                .writeShortLE(blockAlign).writeShortLE(16);
        b.writeCharSequence("data", StandardCharsets.US_ASCII);
        b.writeIntLE((int) declared);
        b.writeZero(present);
        return b;
    }

    @Test
    void theDurationIsTheDataOverTheByteRateRoundedUpToTheMillisecond() {
        assertThat(Wav.durationMillis(wav(16_000, 1, 32_000, 32_000))).isEqualTo(1_000);
        assertThat(Wav.durationMillis(wav(16_000, 1, 32_001, 32_001))).isEqualTo(1_001);
        assertThat(Wav.durationMillis(wav(48_000, 2, 192_000 * 3, 192_000 * 3))).isEqualTo(3_000);
        assertThat(Wav.durationMillis(wav(16_000, 1, 0, 0))).isZero();
    }

    @Test
    void aDataSizeThatIsUnknownOrTooLargeCountsWhatIsPresent() {
        assertThat(Wav.durationMillis(wav(16_000, 1, 0, 16_000))).isEqualTo(500);
        assertThat(Wav.durationMillis(wav(16_000, 1, 0xFFFF_FFFFL, 16_000))).isEqualTo(500);
        assertThat(Wav.durationMillis(wav(16_000, 1, 1_000_000, 3_200))).isEqualTo(100);
    }

    @Test
    void chunksBeforeTheDataAreSkippedWithTheirPadding() {
        ByteBuf b = Unpooled.buffer();
        b.writeCharSequence("RIFF", StandardCharsets.US_ASCII);
        b.writeIntLE(0);
        b.writeCharSequence("WAVE", StandardCharsets.US_ASCII);
        b.writeCharSequence("junk", StandardCharsets.US_ASCII);
        b.writeIntLE(3).writeZero(4); // odd size, one pad byte
        ByteBuf canonical = wav(8_000, 1, 16_000, 16_000);
        b.writeBytes(canonical, 12, canonical.readableBytes() - 12);
        assertThat(Wav.durationMillis(b)).isEqualTo(1_000);
        // the reader index is where the file starts, and is left there
        ByteBuf shifted = Unpooled.buffer().writeZero(5).writeBytes(wav(8_000, 1, 16_000, 16_000));
        shifted.readerIndex(5);
        assertThat(Wav.durationMillis(shifted)).isEqualTo(1_000);
        assertThat(shifted.readerIndex()).isEqualTo(5);
    }

    @Test
    void otherFilesAndInconsistentHeadersAreNotWav() {
        assertThat(Wav.durationMillis(Unpooled.copiedBuffer("ID3 not a wave file at all", StandardCharsets.US_ASCII)))
                .isEqualTo(-1);
        assertThat(Wav.durationMillis(Unpooled.copiedBuffer("RIFF", StandardCharsets.US_ASCII))).isEqualTo(-1);
        ByteBuf badRate = wav(16_000, 1, 32_000, 32_000);
        badRate.setIntLE(28, 1); // byte rate 1: a second of audio would claim nine hours
        assertThat(Wav.durationMillis(badRate)).isEqualTo(-1);
        assertThat(Wav.durationMillis(wav(1_000, 1, 2_000, 2_000))).isEqualTo(-1);
        ByteBuf noData = wav(16_000, 1, 32_000, 0);
        noData.writerIndex(36);
        assertThat(Wav.durationMillis(noData)).isEqualTo(-1);
        ByteBuf dataFirst = Unpooled.buffer();
        dataFirst.writeCharSequence("RIFF", StandardCharsets.US_ASCII);
        dataFirst.writeIntLE(0);
        dataFirst.writeCharSequence("WAVEdata", StandardCharsets.US_ASCII);
        dataFirst.writeIntLE(4).writeZero(4);
        assertThat(Wav.durationMillis(dataFirst)).isEqualTo(-1);
    }

    @Test
    void theHeaderWrittenReadsBackAsItsDuration() {
        ByteBuf b = Unpooled.buffer();
        Wav.writeHeader(b, 24_000, 24_000 * 2 * 3 / 2);
        assertThat(b.readableBytes()).isEqualTo(Wav.HEADER_BYTES);
        assertThat(b.getIntLE(4)).isEqualTo(36 + 72_000);
        b.writeZero(72_000);
        assertThat(Wav.durationMillis(b)).isEqualTo(1_500);
    }
}
