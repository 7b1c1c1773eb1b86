package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Audio for the tests: WAV files of a known duration, multipart forms, and a reader for the WAV files the worker answers. */
final class Audio {

    static final String BOUNDARY = "sim-audio-7MA4YWxkTrZu0gW";
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Audio() {
    }

    /** A PCM WAV of {@code millis} ms at 16 kHz, 16-bit mono (32 bytes a millisecond), silent. */
    static byte[] wav16k(long millis) {
        return wav(16_000, 1, millis * 32);
    }

    /** A canonical 16-bit PCM WAV header and {@code dataBytes} bytes of silence. */
    static byte[] wav(int sampleRate, int channels, long dataBytes) {
        int blockAlign = channels * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + (int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("RIFF")).putInt((int) (36 + dataBytes)).put(ascii("WAVEfmt ")).putInt(16)
                .putShort((short) 1).putShort((short) channels).putInt(sampleRate).putInt(sampleRate * blockAlign)
                .putShort((short) blockAlign).putShort((short) 16).put(ascii("data")).putInt((int) dataBytes);
        return b.array();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static Form form() {
        return new Form();
    }

    /** A {@code multipart/form-data} body, built part by part. */
    static final class Form {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** A file part named {@code file}, with a filename. */
        Form file(byte[] audio) {
            return part("file", "a.wav", audio);
        }

        /** A text field. */
        Form field(String name, String value) {
            return part(name, null, value.getBytes(StandardCharsets.UTF_8));
        }

        /** A part; with a filename, a file upload with {@code Content-Type: audio/wav}. */
        Form part(String name, String filename, byte[] content) {
            out.writeBytes(ascii("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
                    + (filename == null ? "" : "; filename=\"" + filename + "\"\r\nContent-Type: audio/wav") + "\r\n\r\n"));
            out.writeBytes(content);
            out.writeBytes(ascii("\r\n"));
            return this;
        }

        /** The body, closed by the final boundary. */
        byte[] bytes() {
            byte[] end = ascii("--" + BOUNDARY + "--\r\n");
            byte[] parts = out.toByteArray();
            byte[] body = Arrays.copyOf(parts, parts.length + end.length);
            System.arraycopy(end, 0, body, parts.length, end.length);
            return body;
        }
    }

    /** POSTs {@code body} as {@code contentType} to {@code path} of the worker on {@code port}. */
    static HttpResponse<byte[]> post(int port, String path, String contentType, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** POSTs a form to {@code /v1/audio/transcriptions}. */
    static HttpResponse<byte[]> transcribe(int port, byte[] form) {
        return post(port, "/v1/audio/transcriptions", "multipart/form-data; boundary=" + BOUNDARY, form);
    }

    /** POSTs JSON to {@code /v1/audio/speech}. */
    static HttpResponse<byte[]> speak(int port, String json) {
        return post(port, "/v1/audio/speech", "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** The fields of a canonical 44-byte-header WAV file, each checked against the file's size. */
    record WavFile(int format, int channels, int sampleRate, int byteRate, int blockAlign, int bitsPerSample,
                   int dataBytes, byte[] samples) {

        static WavFile parse(byte[] wav) {
            assertThat(wav.length).isGreaterThanOrEqualTo(44);
            ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(new String(wav, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
            assertThat(b.getInt(4)).as("RIFF size").isEqualTo(wav.length - 8);
            assertThat(new String(wav, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("WAVEfmt ");
            assertThat(b.getInt(16)).as("fmt size").isEqualTo(16);
            assertThat(new String(wav, 36, 4, StandardCharsets.US_ASCII)).isEqualTo("data");
            int dataBytes = b.getInt(40);
            assertThat(dataBytes).as("data size").isEqualTo(wav.length - 44);
            return new WavFile(b.getShort(20), b.getShort(22), b.getInt(24), b.getInt(28), b.getShort(32), b.getShort(34),
                    dataBytes, Arrays.copyOfRange(wav, 44, wav.length));
        }
    }
}
