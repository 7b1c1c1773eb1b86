package ai.qubittron.bastion.sim.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The form is read in memory and every buffer the decoder made is released, whether the form is good or broken. */
class TranscriptionParserTest {

    private static final String BOUNDARY = "b0undary";

    private static String part(String name, String filename, String content) {
        return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
                + (filename == null ? "" : "; filename=\"" + filename + "\"") + "\r\n\r\n" + content + "\r\n";
    }

    private static String form(String... parts) {
        return String.join("", parts) + "--" + BOUNDARY + "--\r\n";
    }

    /** Parses {@code body}, checking that the request is left as it was: not released, reader index unchanged. */
    private static TranscriptionRequest parse(String contentType, byte[] body) throws BadRequestException {
        ByteBuf content = PooledByteBufAllocator.DEFAULT.directBuffer(body.length).writeBytes(body);
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/v1/audio/transcriptions", content);
        if (contentType != null) {
            request.headers().set("content-type", contentType);
        }
        try {
            return TranscriptionParser.parse(request);
        } finally {
            assertThat(content.refCnt()).isEqualTo(1);
            assertThat(content.readerIndex()).isZero();
            request.release();
        }
    }

    private static TranscriptionRequest parse(String body) throws BadRequestException {
        return parse("multipart/form-data; boundary=" + BOUNDARY, body.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void theFieldsItNeedsAreReadAndTheRestIgnored() throws Exception {
        TranscriptionRequest r = parse(form(part("prompt", null, "p"), part("file", "a.mp3", "x".repeat(32_000)),
                part("timestamp_granularities[]", null, "word"), part("model", null, " whisper "),
                part("response_format", null, "SRT"), part("temperature", null, "0.5"), part("language", null, "en")));

        assertThat(r).isEqualTo(new TranscriptionRequest("whisper", TranscriptionRequest.Format.SRT, 0.5, 2_000));
    }

    @Test
    void brokenFormsAreRefusedAndLeaveNothingBehind() {
        String good = form(part("model", null, "m"), part("file", "a.wav", "abcdef"));
        assertThatThrownBy(() -> parse(good.substring(0, good.length() - 20)))
                .hasMessageContaining("ends inside the 'file' part");
        assertThatThrownBy(() -> parse(good.substring(0, 60))).hasMessageContaining("Malformed multipart/form-data body");
        assertThatThrownBy(() -> parse("--" + BOUNDARY + "\r\nContent-Disposition: nonsense\r\n\r\nabc\r\n--" + BOUNDARY + "--\r\n"))
                .hasMessageContaining("Malformed multipart/form-data body");
        assertThatThrownBy(() -> parse("--" + BOUNDARY + "\r\nX-Junk: " + "j".repeat(9_000)))
                .hasMessageContaining("Malformed multipart/form-data body");
        assertThatThrownBy(() -> parse("nothing here")).hasMessageContaining("no part starts with the boundary");
        assertThatThrownBy(() -> parse(form(part("model", null, "m")))).hasMessageContaining("'file' is a required property");
        assertThatThrownBy(() -> parse(form(part("file", "a.wav", "x"), part("model", null, " "))))
                .hasMessageContaining("'model' is a required property");
    }

    @Test
    void theContentTypeMustBeMultipartWithABoundary() {
        byte[] body = form(part("model", null, "m"), part("file", "a.wav", "abc")).getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> parse(null, body)).hasMessage("The request body must be multipart/form-data");
        assertThatThrownBy(() -> parse("text/plain", body)).hasMessageContaining("was 'text/plain'");
        assertThatThrownBy(() -> parse("multipart/form-data", body)).hasMessageContaining("boundary");
        assertThatThrownBy(() -> parse("multipart/form-data; charset=nope; boundary=" + BOUNDARY, body))
                .isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> parse("multipart/form-data; boundary=" + BOUNDARY, Arrays.copyOf(body, 0)))
                .hasMessageContaining("multipart");
    }
}
