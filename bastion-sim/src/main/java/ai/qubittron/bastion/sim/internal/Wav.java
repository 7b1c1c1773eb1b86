package ai.qubittron.bastion.sim.internal;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The RIFF/WAVE container: the duration of an uploaded file, and the header of the speech the worker
 * synthesises (PCM, 16-bit, mono).
 *
 * <p>Stateless. Takes no ownership of the buffers it is given and does not move their indices.
 */
final class Wav {

    /** Bytes of the canonical header {@link #writeHeader} writes, before the samples. */
    static final int HEADER_BYTES = 44;

    private static final int RIFF_PREAMBLE_BYTES = 12;
    private static final int CHUNK_HEADER_BYTES = 8;
    private static final int FMT_MIN_BYTES = 16;
    private static final int PCM_FORMAT = 1;
    private static final int MIN_SAMPLE_RATE = 8_000;
    private static final int MAX_SAMPLE_RATE = 192_000;
    private static final int MAX_CHANNELS = 8;

    private Wav() {
    }

    /**
     * The duration of a RIFF/WAVE file in whole milliseconds, rounded up: its {@code data} chunk (as much
     * of it as is present) over the byte rate of its {@code fmt } chunk. -1 when {@code audio} is not a
     * WAV file whose header makes sense: 8&ndash;192 kHz, 1&ndash;8 channels and a byte rate of sample
     * rate &times; block align (compressed audio and damaged headers fail that, and a damaged byte
     * rate could otherwise claim hours of audio).
     */
    static long durationMillis(ByteBuf audio) {
        int start = audio.readerIndex();
        int end = audio.writerIndex();
        if (end - start < RIFF_PREAMBLE_BYTES || !tag(audio, start, "RIFF") || !tag(audio, start + 8, "WAVE")) {
            return -1;
        }
        long byteRate = -1;
        long chunk = start + RIFF_PREAMBLE_BYTES;
        while (chunk + CHUNK_HEADER_BYTES <= end) {
            int at = (int) chunk;
            long size = audio.getUnsignedIntLE(at + 4);
            int body = at + CHUNK_HEADER_BYTES;
            if (tag(audio, at, "fmt ")) {
                byteRate = size >= FMT_MIN_BYTES && body + FMT_MIN_BYTES <= end ? byteRate(audio, body) : -1;
            } else if (tag(audio, at, "data")) {
                if (byteRate <= 0) {
                    return -1;
                }
                // a WAV written while recording may declare 0 or 0xFFFFFFFF: what is there is what counts
                long present = end - body;
                long data = size == 0 || size > present ? present : size;
                return (data * 1000 + byteRate - 1) / byteRate;
            }
            chunk = body + size + (size & 1);
        }
        return -1;
    }

    /**
     * Writes the 44-byte header of a PCM WAV file of 16-bit mono samples at {@code sampleRate} Hz whose
     * samples take {@code dataBytes} bytes.
     */
    static void writeHeader(ByteBuf out, int sampleRate, long dataBytes) {
        out.writeCharSequence("RIFF", StandardCharsets.US_ASCII);
        out.writeIntLE((int) (HEADER_BYTES - CHUNK_HEADER_BYTES + dataBytes));
        out.writeCharSequence("WAVEfmt ", StandardCharsets.US_ASCII);
        out.writeIntLE(FMT_MIN_BYTES);
        out.writeShortLE(PCM_FORMAT);
        out.writeShortLE(1); // mono
        out.writeIntLE(sampleRate);
        out.writeIntLE(sampleRate * 2); // byte rate
        out.writeShortLE(2); // block align
        out.writeShortLE(16); // bits per sample
        out.writeCharSequence("data", StandardCharsets.US_ASCII);
        out.writeIntLE((int) dataBytes);
    }

    /** The byte rate of the {@code fmt } chunk body at {@code at}, or -1 when its fields do not agree. */
    private static long byteRate(ByteBuf audio, int at) {
        int channels = audio.getUnsignedShortLE(at + 2);
        long sampleRate = audio.getUnsignedIntLE(at + 4);
        long byteRate = audio.getUnsignedIntLE(at + 8);
        int blockAlign = audio.getUnsignedShortLE(at + 12);
        boolean consistent = channels >= 1 && channels <= MAX_CHANNELS
                && sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE
                && blockAlign >= channels && byteRate == sampleRate * blockAlign;
        return consistent ? byteRate : -1;
    }

    private static boolean tag(ByteBuf buf, int at, String fourCc) {
        for (int i = 0; i < 4; i++) {
            if (buf.getByte(at + i) != fourCc.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
