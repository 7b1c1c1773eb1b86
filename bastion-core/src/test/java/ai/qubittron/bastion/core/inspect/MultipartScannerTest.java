package ai.qubittron.bastion.core.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipartScannerTest {

    private static final String B = "xYzZY-boundary";

    private static String form(String... parts) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < parts.length; i += 2) {
            body.append("--").append(B).append("\r\nContent-Disposition: form-data; name=\"").append(parts[i])
                    .append("\"\r\n\r\n").append(parts[i + 1]).append("\r\n");
        }
        return body.append("--").append(B).append("--\r\n").toString();
    }

    /** Feeds the body in pieces of random sizes (a boundary split anywhere) and returns the result. */
    private static MultipartScanner scan(byte[] body, long seed) {
        MultipartScanner scanner = new MultipartScanner(B, "model", 256);
        Random random = new Random(seed);
        int at = 0;
        int result = MultipartScanner.MORE;
        while (at < body.length && result == MultipartScanner.MORE) {
            int n = Math.min(body.length - at, 1 + random.nextInt(seed == 0 ? 1 : 40));
            ByteBuf piece = Unpooled.wrappedBuffer(body, at, n);
            result = scanner.feed(piece);
            assertThat(piece.readerIndex()).isZero();
            at += n;
        }
        if (result == MultipartScanner.MORE) {
            scanner.finish();
        }
        return scanner;
    }

    @Test
    void findsTheModelAfterAFileThatHoldsPiecesOfTheBoundaryWhereverTheBodyIsSplit() {
        // (a whole delimiter may not occur in a part: RFC 2046 has the sender pick a boundary that does not)
        String audio = "RIFF\r\n--" + B.substring(0, 5) + "\r\n-\r\n--" + B.substring(0, B.length() - 1) + "\r\r\n--xY";
        String body = form("file", audio, "model", "openai/whisper-large-v3", "language", "en");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (long seed = 0; seed < 300; seed++) {
            MultipartScanner scanner = scan(bytes, seed);
            assertThat(scanner.value()).as("seed %d", seed).isEqualTo("openai/whisper-large-v3");
            assertThat(body.substring((int) scanner.valueStart(), (int) scanner.valueEnd()))
                    .isEqualTo("openai/whisper-large-v3");
        }
    }

    @Test
    void readsAFirstPartWithoutLeadingLineBreakAPreambleAndOtherHeaders() {
        String body = "this is a preamble\r\n--" + B + "  \r\ncontent-type: text/plain\r\nCONTENT-DISPOSITION: form-data; "
                + "name=model\r\n\r\nwhisper-large-v3\r\n--" + B + "--";
        MultipartScanner scanner = scan(body.getBytes(StandardCharsets.US_ASCII), 1);
        assertThat(scanner.value()).isEqualTo("whisper-large-v3");
        assertThat(scan(form("model", "").getBytes(StandardCharsets.US_ASCII), 2).value()).isEmpty();
    }

    @Test
    void tellsAnAbsentFieldFromABrokenBody() {
        assertThat(new MultipartScanner(B, "model", 256).feed(Unpooled.wrappedBuffer(
                form("file", "abc").getBytes(StandardCharsets.US_ASCII)))).isEqualTo(MultipartScanner.ABSENT);

        MultipartScanner truncated = scan(("--" + B + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")
                .getBytes(StandardCharsets.US_ASCII), 3);
        assertThat(truncated.finish()).isEqualTo(MultipartScanner.FAILED);
        assertThat(truncated.error()).contains("closing boundary");

        MultipartScanner garbage = scan(("--" + B + "garbage\r\n\r\n").getBytes(StandardCharsets.US_ASCII), 4);
        assertThat(garbage.finish()).isEqualTo(MultipartScanner.FAILED);

        MultipartScanner tooLong = scan(form("model", "m".repeat(300)).getBytes(StandardCharsets.US_ASCII), 5);
        assertThat(tooLong.finish()).isEqualTo(MultipartScanner.FAILED);
        assertThat(tooLong.error()).contains("longer than 256");

        MultipartScanner hugeHeaders = scan(("--" + B + "\r\nX: " + "h".repeat(9000) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), 6);
        assertThat(hugeHeaders.finish()).isEqualTo(MultipartScanner.FAILED);
    }

    @Test
    void aRepeatedFieldFailsTheBodyAndTheRestIsReadToItsEnd() {
        byte[] twice = form("model", "cheap", "file", "abc", "model", "dear").getBytes(StandardCharsets.US_ASCII);
        MultipartScanner scanner = new MultipartScanner(B, "model", 256);
        int split = 100;
        assertThat(scanner.feed(Unpooled.wrappedBuffer(twice, 0, split))).isEqualTo(MultipartScanner.FOUND);
        assertThat(scanner.value()).isEqualTo("cheap");
        assertThat(scanner.feed(Unpooled.wrappedBuffer(twice, split, twice.length - split))).isEqualTo(MultipartScanner.FAILED);
        assertThat(scanner.error()).contains("'model' is repeated");

        byte[] once = form("model", "cheap", "file", "abc").getBytes(StandardCharsets.US_ASCII);
        MultipartScanner complete = new MultipartScanner(B, "model", 256);
        assertThat(complete.feed(Unpooled.wrappedBuffer(once))).isEqualTo(MultipartScanner.COMPLETE);
        assertThat(complete.value()).isEqualTo("cheap");
    }

    @Test
    void aQuotedParameterThatLooksLikeTheNameIsNotTheName() {
        String body = "--" + B + "\r\nContent-Disposition: form-data; filename=\"x; name=model; y\"; name=\"file\"\r\n\r\n"
                + "audio\r\n--" + B + "\r\nContent-Disposition: form-data; name=\"mo\\\"del\"\r\n\r\nnot it\r\n--" + B
                + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nreal\r\n--" + B + "--\r\n";
        MultipartScanner scanner = scan(body.getBytes(StandardCharsets.US_ASCII), 7);
        assertThat(scanner.value()).isEqualTo("real");
    }

    @Test
    void parsesTheBoundaryOfAContentType() {
        assertThat(MultipartScanner.boundaryOf("multipart/form-data; boundary=abc")).isEqualTo("abc");
        assertThat(MultipartScanner.boundaryOf("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"")).isEqualTo("a b:c");
        assertThat(MultipartScanner.boundaryOf("application/json")).isNull();
        assertThat(MultipartScanner.boundaryOf("multipart/form-data")).isNull();
        assertThat(MultipartScanner.boundaryOf("multipart/form-data; boundary=")).isNull();
        assertThat(MultipartScanner.boundaryOf("multipart/form-data; boundary=" + "x".repeat(71))).isNull();
        assertThat(MultipartScanner.boundaryOf(null)).isNull();
        assertThatThrownBy(() -> new MultipartScanner("", "model", 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
