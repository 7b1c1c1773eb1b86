package ai.qubittron.bastion.core.inspect;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Finds one field of a {@code multipart/form-data} body as the body streams past, without holding it:
 * the gateway reads a transcription's {@code model} part this way, and relays the rest (the audio)
 * untouched. Fed the body's buffers in order; answers once the field's value is complete, with the
 * value and where its bytes are in the body, so that a caller that holds the bytes up to there can
 * splice another value in.
 *
 * <p>It follows RFC 2046 and RFC 7578: a preamble before the first delimiter is skipped, a delimiter is
 * {@code CRLF "--" boundary} (the first may start the body), followed by {@code "--"} (the end) or
 * optional spaces and {@code CRLF}, then the part's headers up to an empty line. A part is named by
 * the {@code name} parameter of its {@code Content-Disposition}. The delimiter is matched with a
 * Knuth–Morris–Pratt automaton, so a boundary split across buffers, or a body that repeats a prefix of
 * it, costs nothing extra: one table step a byte.
 *
 * <p>Not thread-safe; one instance per upload. Buffers are neither retained nor released.
 */
public final class MultipartScanner {

    /** {@link #feed} result: more bytes are needed. */
    public static final int MORE = 0;
    /** {@link #feed} result: the field is complete ({@link #value()}). */
    public static final int FOUND = 1;
    /** {@link #feed} result: the body is not well-formed multipart ({@link #error()}). */
    public static final int FAILED = 2;
    /** {@link #feed} result: the body's closing delimiter came and the field was not in it. */
    public static final int ABSENT = 3;
    /** {@link #feed} result, after {@link #FOUND}: the body's closing delimiter came, without the field again. */
    public static final int COMPLETE = 4;

    /** Longest boundary RFC 2046 allows. */
    public static final int MAX_BOUNDARY = 70;
    private static final int MAX_HEADER_BYTES = 8192;

    private static final int PREAMBLE = 0;
    private static final int DELIMITER_LINE = 1;
    private static final int HEADERS = 2;
    private static final int BODY = 3;
    private static final int EPILOGUE = 4;
    private static final int STOPPED = 5;

    private final byte[] delimiter;
    private final int[] failure;
    private final String field;
    private final int maxValueBytes;
    private final byte[] value;
    private final StringBuilder headers = new StringBuilder();
    private final Processor processor = new Processor();

    private int state = PREAMBLE;
    /** How much of the delimiter the latest bytes match. */
    private int matched;
    /** Bytes read of the delimiter line's rest (to tell "--" from CRLF). */
    private int lineBytes;
    private boolean closing;
    private boolean capturing;
    private int captured;
    private long offset;
    private long valueStart = -1;
    private long valueEnd = -1;
    private String found;
    private String error;
    private int result = MORE;

    /**
     * @param boundary      the {@code boundary} parameter of the body's {@code Content-Type}
     * @param field         the form field to find
     * @param maxValueBytes the longest value accepted; a longer one fails the scan. An array of about this
     *                      size is allocated up front
     * @throws IllegalArgumentException when the boundary is empty or longer than {@value #MAX_BOUNDARY}
     *                                  characters
     */
    public MultipartScanner(String boundary, String field, int maxValueBytes) {
        byte[] b = boundary.getBytes(StandardCharsets.ISO_8859_1);
        if (b.length == 0 || b.length > MAX_BOUNDARY) {
            throw new IllegalArgumentException("boundary: must be 1 to " + MAX_BOUNDARY + " characters");
        }
        delimiter = new byte[b.length + 4];
        delimiter[0] = '\r';
        delimiter[1] = '\n';
        delimiter[2] = '-';
        delimiter[3] = '-';
        System.arraycopy(b, 0, delimiter, 4, b.length);
        failure = failureTable(delimiter);
        this.field = field;
        this.maxValueBytes = maxValueBytes;
        this.value = new byte[maxValueBytes + delimiter.length];
        // the body may start with the first delimiter, without the CRLF before it
        matched = 2;
    }

    /**
     * The boundary of a {@code multipart/form-data} content type, or {@code null} when the type is not
     * one or names no usable boundary.
     *
     * @param contentType the request's {@code Content-Type} header, or {@code null}
     * @return the boundary (quotes removed), or {@code null}
     */
    public static String boundaryOf(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] params = contentType.split(";");
        if (!params[0].trim().equalsIgnoreCase("multipart/form-data")) {
            return null;
        }
        for (int i = 1; i < params.length; i++) {
            String p = params[i].trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("boundary")) {
                String b = p.substring(eq + 1).trim();
                if (b.length() >= 2 && b.charAt(0) == '"' && b.charAt(b.length() - 1) == '"') {
                    b = b.substring(1, b.length() - 1);
                }
                return b.isEmpty() || b.length() > MAX_BOUNDARY || !isAscii(b) ? null : b;
            }
        }
        return null;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < 0x20 || s.charAt(i) > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the next bytes of the body (its readable bytes; the reader index is not moved). Once it has
     * answered {@link #FOUND}, it goes on reading the rest when fed, answering {@link #FOUND} while the
     * field does not come again, {@link #FAILED} if it does (a field repeated: the gateway and the worker
     * could read different values) or the rest is not well-formed, {@link #COMPLETE} at the closing
     * delimiter. {@link #FAILED}, {@link #ABSENT} and {@link #COMPLETE} are final.
     *
     * @param chunk the next bytes of the body, in order; not consumed, not released
     * @return one of {@link #MORE}, {@link #FOUND}, {@link #FAILED}, {@link #ABSENT}, {@link #COMPLETE}
     */
    public int feed(ByteBuf chunk) {
        if ((result != MORE && result != FOUND) || !chunk.isReadable()) {
            return result;
        }
        chunk.forEachByte(chunk.readerIndex(), chunk.readableBytes(), processor);
        return result;
    }

    /**
     * The body's end has come: a body that ended before the field did not have it.
     *
     * @return {@link #ABSENT} after the closing delimiter, {@link #FAILED} when the body ends before it;
     *         a final answer already given ({@link #FOUND} included) stays as it is
     */
    public int finish() {
        if (result == MORE) {
            if (state == EPILOGUE) {
                result = ABSENT;
            } else {
                fail("The multipart body ends before its closing boundary.");
            }
        }
        return result;
    }

    /** {@return the field's value (decoded as UTF-8), once {@link #FOUND}; else {@code null}} */
    public String value() {
        return found;
    }

    /** {@return the offset in the body of the value's first byte, once {@link #FOUND}; else -1} */
    public long valueStart() {
        return valueStart;
    }

    /** {@return the offset in the body just past the value's last byte, once {@link #FOUND}; else -1} */
    public long valueEnd() {
        return valueEnd;
    }

    /** {@return why the body is not well-formed multipart, once {@link #FAILED}; else {@code null}} */
    public String error() {
        return error;
    }

    /** {@return the bytes of the body read so far (counting stops once the answer is final)} */
    public long bytesRead() {
        return offset;
    }

    private final class Processor implements ByteProcessor {
        @Override
        public boolean process(byte b) {
            // while a byte is stepped, offset is its place in the body
            step(b);
            offset++;
            return result == MORE || (result == FOUND && state != STOPPED);
        }
    }

    private void step(byte b) {
        switch (state) {
            case PREAMBLE -> {
                if (match(b)) {
                    startDelimiterLine();
                }
            }
            case DELIMITER_LINE -> delimiterLine(b);
            case HEADERS -> header(b);
            case BODY -> body(b);
            default -> {
                // the epilogue after the closing delimiter is ignored
            }
        }
    }

    private boolean match(byte b) {
        int m = matched;
        while (m > 0 && delimiter[m] != b) {
            m = failure[m - 1];
        }
        if (delimiter[m] == b) {
            m++;
        }
        if (m == delimiter.length) {
            matched = 0;
            return true;
        }
        matched = m;
        return false;
    }

    private void startDelimiterLine() {
        state = DELIMITER_LINE;
        lineBytes = 0;
        closing = false;
    }

    private void delimiterLine(byte b) {
        lineBytes++;
        if (lineBytes == 1 && b == '-') {
            closing = true;
            return;
        }
        if (closing) {
            if (lineBytes == 2 && b == '-') {
                state = EPILOGUE;
                result = result == FOUND ? COMPLETE : ABSENT;
            } else {
                fail("A multipart delimiter is followed by '-' but not by '--'.");
            }
            return;
        }
        if (b == '\n') {
            state = HEADERS;
            headers.setLength(0);
        } else if (b != ' ' && b != '\t' && b != '\r') {
            fail("A multipart delimiter is followed by other characters than a line break.");
        }
    }

    private void header(byte b) {
        if (headers.length() >= MAX_HEADER_BYTES) {
            fail("A multipart part's headers are longer than " + MAX_HEADER_BYTES + " bytes.");
            return;
        }
        headers.append((char) (b & 0xff));
        int n = headers.length();
        boolean emptyLine = (n == 2 && headers.charAt(0) == '\r' && headers.charAt(1) == '\n')
                || (n >= 4 && headers.charAt(n - 4) == '\r' && headers.charAt(n - 3) == '\n'
                && headers.charAt(n - 2) == '\r' && headers.charAt(n - 1) == '\n');
        if (emptyLine) {
            capturing = field.equals(nameOf(headers));
            if (capturing && result == FOUND) {
                fail("The multipart field '" + field + "' is repeated.");
                return;
            }
            captured = 0;
            state = BODY;
            if (capturing) {
                valueStart = offset + 1;
            }
        }
    }

    private void body(byte b) {
        if (capturing) {
            if (captured == value.length) {
                fail("The multipart field '" + field + "' is longer than " + maxValueBytes + " bytes.");
                return;
            }
            value[captured++] = b;
        }
        if (!match(b)) {
            return;
        }
        if (capturing) {
            int length = captured - delimiter.length;
            valueEnd = valueStart + length;
            found = new String(value, 0, length, StandardCharsets.UTF_8);
            result = FOUND;
            capturing = false;
            // reads on: a second field of the name fails the body
            startDelimiterLine();
            return;
        }
        startDelimiterLine();
    }

    /** The {@code name} of a part's {@code Content-Disposition: form-data}, or {@code null}. */
    private static String nameOf(CharSequence block) {
        for (String line : block.toString().split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.substring(0, colon).trim().equalsIgnoreCase("content-disposition")) {
                continue;
            }
            return parameter(line.substring(colon + 1), "name");
        }
        return null;
    }

    /** A parameter of a header value ({@code form-data; name="a;b"; filename=x}), quotes respected. */
    private static String parameter(String value, String wanted) {
        int i = value.indexOf(';');
        while (i >= 0 && i < value.length()) {
            int start = i + 1;
            int eq = value.indexOf('=', start);
            if (eq < 0) {
                return null;
            }
            String key = value.substring(start, eq).trim().toLowerCase(Locale.ROOT);
            int at = eq + 1;
            while (at < value.length() && value.charAt(at) == ' ') {
                at++;
            }
            String parsed;
            int next;
            if (at < value.length() && value.charAt(at) == '"') {
                StringBuilder quoted = new StringBuilder();
                int k = at + 1;
                while (k < value.length() && value.charAt(k) != '"') {
                    char c = value.charAt(k);
                    if (c == '\\' && k + 1 < value.length()) {
                        c = value.charAt(++k);
                    }
                    quoted.append(c);
                    k++;
                }
                parsed = quoted.toString();
                next = value.indexOf(';', k);
            } else {
                next = value.indexOf(';', at);
                parsed = (next < 0 ? value.substring(at) : value.substring(at, next)).trim();
            }
            if (key.equals(wanted)) {
                return parsed;
            }
            i = next;
        }
        return null;
    }

    private void fail(String message) {
        error = message;
        result = FAILED;
        state = STOPPED;
    }

    private static int[] failureTable(byte[] pattern) {
        int[] table = new int[pattern.length];
        int k = 0;
        for (int i = 1; i < pattern.length; i++) {
            while (k > 0 && pattern[i] != pattern[k]) {
                k = table[k - 1];
            }
            if (pattern[i] == pattern[k]) {
                k++;
            }
            table[i] = k;
        }
        return table;
    }
}
