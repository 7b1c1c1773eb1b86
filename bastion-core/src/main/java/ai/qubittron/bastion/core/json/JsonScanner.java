package ai.qubittron.bastion.core.json;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A validating JSON tokenizer over a {@link ByteBuf} that allocates nothing: tokens are
 * reported as kinds and byte ranges, names and strings are compared against ASCII constants without
 * being decoded, and integers are read as {@code long}s. It checks the JSON grammar (RFC 8259): structure,
 * string escapes and control characters, number syntax (at most {@value #MAX_NUMBER_LENGTH} characters),
 * literals, a single top-level value, at most {@value #MAX_DEPTH} levels; and, when built to, that strings
 * are well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF). When it fails,
 * {@link #errorOffset()} and {@link #errorReason()} say where and why.
 *
 * <p>It is for documents whose few known members are looked up as they stream by — the worker's
 * responses and stream events, one per token on the hot path — where Jackson's parser cost an object
 * graph (parser, contexts, text buffer, symbol table) per document.
 *
 * <p>Use: {@link #reset} on a document, then {@link #next} until it returns {@link #END} (the document
 * was one well-formed value) or {@link #ERROR} (it was not; the scanner then stays in error). Not
 * thread-safe; one instance reads one document at a time. The buffer is only read, between its reader
 * and writer indexes; it is neither retained nor released, and must not change while it is read. A
 * document of up to {@value #MAX_SCRATCH} bytes is first copied, in bulk, to an array of the calling
 * thread's and scanned there; so the accessors of a scanner hold only until another scanner on the
 * same thread is {@linkplain #reset reset}.
 */
public final class JsonScanner {

    /**
     * {@link #next} result: the document is not well-formed ({@link #errorOffset()}, {@link #errorReason()});
     * final.
     */
    public static final int ERROR = -1;
    /** {@link #next} result: the document was one well-formed value and nothing follows it; final. */
    public static final int END = 0;
    /** {@link #next} result: an object opens; {@link #depth()} counts it. */
    public static final int START_OBJECT = 1;
    /** {@link #next} result: an object closes; {@link #depth()} no longer counts it. */
    public static final int END_OBJECT = 2;
    /** {@link #next} result: an array opens; {@link #depth()} counts it. */
    public static final int START_ARRAY = 3;
    /** {@link #next} result: an array closes; {@link #depth()} no longer counts it. */
    public static final int END_ARRAY = 4;
    /** A member's name; {@link #textStart()}/{@link #textEnd()} bound it inside its quotes. */
    public static final int FIELD_NAME = 5;
    /** A string value; {@link #textStart()}/{@link #textEnd()} bound it inside its quotes. */
    public static final int STRING = 6;
    /** An integer without fraction or exponent; {@link #longValue()} reads it. */
    public static final int NUMBER_INT = 7;
    /** A number with a fraction or an exponent. */
    public static final int NUMBER_FLOAT = 8;
    /** The literal {@code true}. */
    public static final int TRUE = 9;
    /** The literal {@code false}. */
    public static final int FALSE = 10;
    /** The literal {@code null}. */
    public static final int NULL = 11;

    /** Containers nested deeper than this make the document an {@link #ERROR} (as Jackson's default limit). */
    public static final int MAX_DEPTH = 1000;
    /** Numbers longer than this (sign, digits, point and exponent) are an {@link #ERROR} (as Jackson's default limit). */
    public static final int MAX_NUMBER_LENGTH = 1000;

    /** A value: the document's, a member's after its colon, or an array element after a comma. */
    private static final int EXPECT_VALUE = 0;
    /** After '{': a name or '}'. */
    private static final int EXPECT_FIRST_NAME = 1;
    /** After ',' in an object: a name. */
    private static final int EXPECT_NAME = 2;
    /** After a name: ':' then a value. */
    private static final int EXPECT_COLON = 3;
    /** After '[': a value or ']'. */
    private static final int EXPECT_FIRST_ELEMENT = 4;
    /** After a value inside a container: ',' or its end. */
    private static final int EXPECT_SEPARATOR = 5;
    /** After the top-level value: only whitespace. */
    private static final int EXPECT_EOF = 6;
    private static final int FAILED = 7;

    private static final byte[] TRUE_BYTES = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE_BYTES = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL_BYTES = {'n', 'u', 'l', 'l'};

    /** Documents up to this size are copied to a per-thread array and read from there. */
    static final int MAX_SCRATCH = 64 * 1024;
    private static final ThreadLocal<byte[][]> SCRATCH = ThreadLocal.withInitial(() -> new byte[][] {new byte[4096]});

    private final boolean validateUtf8;
    private ByteBuf buf;
    /** The document's bytes, when it was copied to the thread's scratch array; else null (read from buf). */
    private byte[] bytes;
    /** The buffer index of {@code bytes[0]}. */
    private int base;
    private int pos;
    private int end;
    private int state;
    private int depth;
    /** Bit i: whether the container at depth i + 1 is an array (up to 64 levels; deeper ones in {@link #deepArrays}). */
    private long arrays;
    private boolean[] deepArrays;
    private int tokenStart;
    private int textStart;
    private int textEnd;
    private boolean escaped;
    private long longValue;
    private boolean longOverflow;
    private int errorOffset;
    private String errorReason;

    /** A scanner that does not look into the UTF-8 of strings (for documents from a trusted source). */
    public JsonScanner() {
        this(false);
    }

    /**
     * A scanner that may also check the UTF-8 of strings.
     *
     * @param validateUtf8 whether strings (and names) that are not well-formed UTF-8 make the document an
     *                     {@link #ERROR}: {@code true} for what clients send
     */
    public JsonScanner(boolean validateUtf8) {
        this.validateUtf8 = validateUtf8;
    }

    /**
     * Starts reading a document; forgets the previous one.
     *
     * @param json the document, from its reader index to its writer index; read only, not retained
     */
    public void reset(ByteBuf json) {
        buf = json;
        pos = json.readerIndex();
        end = json.writerIndex();
        int length = end - pos;
        if (length <= MAX_SCRATCH) {
            // one bulk copy (a memcpy per component) instead of a bounds- and reference-checked read per
            // byte, through a composite's component lookup: several times faster to scan
            byte[][] holder = SCRATCH.get();
            if (holder[0].length < length) {
                holder[0] = new byte[Math.min(MAX_SCRATCH, Integer.highestOneBit(length - 1) << 1)];
            }
            bytes = holder[0];
            base = pos;
            json.getBytes(pos, bytes, 0, length);
        } else {
            bytes = null;
        }
        state = EXPECT_VALUE;
        depth = 0;
        arrays = 0;
        errorOffset = -1;
        errorReason = null;
    }

    /**
     * {@return the buffer index of the byte where the document stopped making sense, after {@link #ERROR};
     * else -1}
     */
    public int errorOffset() {
        return errorOffset;
    }

    /**
     * {@return what was wrong, in a few words (e.g. "unexpected end of input"), after {@link #ERROR}; else
     * {@code null}}
     */
    public String errorReason() {
        return errorReason;
    }

    /**
     * {@return the depth of the containers enclosing the last token (a start token counts the container it
     * opens)}
     */
    public int depth() {
        return depth;
    }

    /**
     * {@return whether the container at {@code level} is an array; false past {@link #depth()}}
     *
     * @param level 1 for the top-level value, 2 for a container in it, and so on
     */
    public boolean isArrayAt(int level) {
        if (level < 1 || level > depth) {
            return false;
        }
        return level <= 64 ? (arrays & (1L << (level - 1))) != 0 : deepArrays[level];
    }

    /** {@return the buffer index of the last token's first byte (a string's opening quote)} */
    public int tokenStart() {
        return tokenStart;
    }

    /** {@return the buffer index just past the last token} */
    public int tokenEnd() {
        return pos;
    }

    /**
     * {@return the buffer index of its first byte after the opening quote} For a {@link #STRING} or {@link
     * #FIELD_NAME} token.
     */
    public int textStart() {
        return textStart;
    }

    /** {@return the buffer index of its closing quote} For a {@link #STRING} or {@link #FIELD_NAME} token. */
    public int textEnd() {
        return textEnd;
    }

    /**
     * {@return whether its raw bytes are empty (then so is its value)} For a {@link #STRING} or {@link
     * #FIELD_NAME} token.
     */
    public boolean textEmpty() {
        return textEnd == textStart;
    }

    /**
     * {@return whether its value is {@code ascii}, escapes
     * decoded} For a {@link #STRING} or {@link #FIELD_NAME} token. (<code>"&#92;u0075sage"</code> is {@code
     * usage}.) Allocates nothing.
     *
     * @param ascii the expected value's bytes, ASCII only
     */
    public boolean textEquals(byte[] ascii) {
        if (!escaped) {
            int length = textEnd - textStart;
            if (length != ascii.length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (at(textStart + i) != ascii[i]) {
                    return false;
                }
            }
            return true;
        }
        int i = textStart;
        int matched = 0;
        while (i < textEnd) {
            int c = at(i) & 0xff;
            if (c == '\\') {
                int e = at(i + 1);
                if (e == 'u') {
                    c = hex4(i + 2);
                    i += 6;
                } else {
                    c = unescape(e);
                    i += 2;
                }
            } else {
                i++;
            }
            if (matched >= ascii.length || c != ascii[matched]) {
                return false;
            }
            matched++;
        }
        return matched == ascii.length;
    }

    /**
     * {@return the index of the first of {@code names} its
     * value equals (as {@link #textEquals(byte[])}), or -1} For a {@link #STRING} or {@link #FIELD_NAME} token.
     *
     * @param names the candidates, as {@link #ascii(String...)} makes them
     */
    public int textIndex(byte[][] names) {
        for (int i = 0; i < names.length; i++) {
            if (textEquals(names[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@return the ASCII bytes of each of {@code values}, for {@link #textIndex} and {@link #textEquals(byte[])}}
     * Made once, as constants.
     *
     * @param values ASCII strings (other characters become {@code '?'})
     */
    public static byte[][] ascii(String... values) {
        byte[][] bytes = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = values[i].getBytes(StandardCharsets.US_ASCII);
        }
        return bytes;
    }

    /**
     * {@return whether its value ends with {@code ascii}} For a {@link #STRING} or {@link #FIELD_NAME} token.
     * Allocates only when the text has escapes.
     *
     * @param ascii the expected suffix's bytes, ASCII only
     */
    public boolean textEndsWith(byte[] ascii) {
        if (escaped) {
            return text().endsWith(new String(ascii, StandardCharsets.US_ASCII));
        }
        if (textEnd - textStart < ascii.length) {
            return false;
        }
        int from = textEnd - ascii.length;
        for (int i = 0; i < ascii.length; i++) {
            if (at(from + i) != ascii[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@return its value as a new String (allocates; for the rare cases)} For a {@link #STRING} or {@link
     * #FIELD_NAME} token.
     */
    public String text() {
        return text(textStart, textEnd, escaped);
    }

    /**
     * {@return whether it has escapes (its raw bytes are not its value)} For a {@link #STRING} or {@link
     * #FIELD_NAME} token.
     */
    public boolean textEscaped() {
        return escaped;
    }

    /**
     * {@return a hash of its value, equal for equal values
     * whatever their escapes} For a {@link #STRING} or {@link #FIELD_NAME} token. It is the hash of the
     * value's UTF-8 bytes; allocates only for a text with
     * escapes.
     */
    public int textHash() {
        if (escaped) {
            return hash(text().getBytes(StandardCharsets.UTF_8));
        }
        int h = 1;
        for (int i = textStart; i < textEnd; i++) {
            h = 31 * h + at(i);
        }
        return h;
    }

    /** The hash {@link #textHash()} gives a text whose value has these UTF-8 bytes. */
    static int hash(byte[] utf8) {
        int h = 1;
        for (byte b : utf8) {
            h = 31 * h + b;
        }
        return h;
    }

    /**
     * Whether the current {@link #STRING} or {@link #FIELD_NAME} has the same value as the earlier text of
     * this document between {@code start} and {@code end} (raw bounds, as {@link #textStart()} and
     * {@link #textEnd()} gave them) that had escapes or not.
     *
     * @param start        the earlier text's {@link #textStart()}
     * @param end          the earlier text's {@link #textEnd()}
     * @param otherEscaped the earlier text's {@link #textEscaped()}
     * @return whether the two values are equal, escapes decoded
     */
    public boolean textEquals(int start, int end, boolean otherEscaped) {
        if (!escaped && !otherEscaped) {
            int length = textEnd - textStart;
            if (end - start != length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (at(textStart + i) != at(start + i)) {
                    return false;
                }
            }
            return true;
        }
        return text().equals(text(start, end, otherEscaped));
    }

    /**
     * {@return the value of the text of this document between raw bounds {@code start} and {@code end}, as a
     * new String}
     *
     * @param start      a {@link #textStart()} of this document
     * @param end        the matching {@link #textEnd()}
     * @param hasEscapes the matching {@link #textEscaped()}: whether to decode escapes
     */
    public String text(int start, int end, boolean hasEscapes) {
        if (!hasEscapes) {
            return string(start, end - start);
        }
        StringBuilder out = new StringBuilder(end - start);
        int i = start;
        int runStart = i;
        while (i < end) {
            if (at(i) != '\\') {
                i++;
                continue;
            }
            out.append(string(runStart, i - runStart));
            int e = at(i + 1);
            if (e == 'u') {
                out.append((char) hex4(i + 2));
                i += 6;
            } else {
                out.append((char) unescape(e));
                i += 2;
            }
            runStart = i;
        }
        return out.append(string(runStart, end - runStart)).toString();
    }

    /**
     * {@return the raw bytes of the last token (a number's digits, a string with its quotes) as ASCII-safe
     * text}
     */
    public String tokenText() {
        return string(tokenStart, pos - tokenStart);
    }

    /** {@return whether it fits a {@code long}} For a {@link #NUMBER_INT}. */
    public boolean fitsLong() {
        return !longOverflow;
    }

    /** {@return its value} For a {@link #NUMBER_INT} that {@link #fitsLong()}. */
    public long longValue() {
        return longValue;
    }

    /**
     * Reads the next token.
     *
     * @return its kind: one of the constants above; {@link #END} and {@link #ERROR} repeat once reached
     */
    public int next() {
        if (state == FAILED) {
            return ERROR;
        }
        int c = skipWhitespace();
        if (state == EXPECT_EOF) {
            return c < 0 ? END : fail(pos, "content after the end of the JSON value");
        }
        if (c < 0) {
            return fail();
        }
        tokenStart = pos;
        switch (state) {
            case EXPECT_FIRST_NAME -> {
                if (c == '}') {
                    pos++;
                    return endContainer(false);
                }
                return name(c);
            }
            case EXPECT_NAME -> {
                return name(c);
            }
            case EXPECT_COLON -> {
                if (c != ':') {
                    return fail();
                }
                pos++;
                state = EXPECT_VALUE;
                return next(); // the member's value
            }
            case EXPECT_FIRST_ELEMENT -> {
                if (c == ']') {
                    pos++;
                    return endContainer(true);
                }
                return value(c);
            }
            case EXPECT_SEPARATOR -> {
                boolean array = isArrayAt(depth);
                if (c == ',') {
                    pos++;
                    state = array ? EXPECT_VALUE : EXPECT_NAME;
                    return next(); // the next element or member
                }
                if (c == (array ? ']' : '}')) {
                    pos++;
                    return endContainer(array);
                }
                return fail();
            }
            default -> {
                return value(c);
            }
        }
    }

    /** The byte at the position after whitespace, or -1 at the end; does not consume it. */
    private int skipWhitespace() {
        while (pos < end) {
            int c = at(pos);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return c & 0xff;
            }
            pos++;
        }
        return -1;
    }

    private int name(int c) {
        if (c != '"' || !string()) {
            return fail();
        }
        state = EXPECT_COLON;
        return FIELD_NAME;
    }

    private int value(int c) {
        switch (c) {
            case '{' -> {
                pos++;
                return startContainer(false);
            }
            case '[' -> {
                pos++;
                return startContainer(true);
            }
            case '"' -> {
                if (!string()) {
                    return fail();
                }
                return afterValue(STRING);
            }
            case 't' -> {
                return literal(TRUE_BYTES) ? afterValue(TRUE) : fail(pos, "invalid literal");
            }
            case 'f' -> {
                return literal(FALSE_BYTES) ? afterValue(FALSE) : fail(pos, "invalid literal");
            }
            case 'n' -> {
                return literal(NULL_BYTES) ? afterValue(NULL) : fail(pos, "invalid literal");
            }
            default -> {
                if (c != '-' && (c < '0' || c > '9')) {
                    return fail();
                }
                int number = number(c);
                return number == ERROR ? fail(tokenStart, "malformed number") : afterValue(number);
            }
        }
    }

    private byte at(int index) {
        byte[] b = bytes;
        return b != null ? b[index - base] : buf.getByte(index);
    }

    private String string(int from, int length) {
        return bytes != null ? new String(bytes, from - base, length, StandardCharsets.UTF_8)
                : buf.toString(from, length, StandardCharsets.UTF_8);
    }

    /** Consumes {@code literal} at pos, if it is there. */
    private boolean literal(byte[] literal) {
        if (pos + literal.length > end) {
            return false;
        }
        for (int i = 0; i < literal.length; i++) {
            if (at(pos + i) != literal[i]) {
                return false;
            }
        }
        pos += literal.length;
        return true;
    }

    private int startContainer(boolean array) {
        if (depth == MAX_DEPTH) {
            return fail(pos - 1, "nested deeper than " + MAX_DEPTH + " levels");
        }
        depth++;
        if (depth <= 64) {
            long bit = 1L << (depth - 1);
            arrays = array ? arrays | bit : arrays & ~bit;
        } else {
            if (deepArrays == null) {
                deepArrays = new boolean[MAX_DEPTH + 1];
            }
            deepArrays[depth] = array;
        }
        state = array ? EXPECT_FIRST_ELEMENT : EXPECT_FIRST_NAME;
        return array ? START_ARRAY : START_OBJECT;
    }

    private int endContainer(boolean array) {
        depth--;
        return afterValue(array ? END_ARRAY : END_OBJECT);
    }

    private int afterValue(int token) {
        state = depth == 0 ? EXPECT_EOF : EXPECT_SEPARATOR;
        return token;
    }

    /** Reads a string from its opening quote at pos; false (having failed, with a reason) when it is malformed. */
    private boolean string() {
        int i = pos + 1;
        textStart = i;
        escaped = false;
        while (i < end) {
            int c = at(i) & 0xff;
            if (c == '"') {
                textEnd = i;
                pos = i + 1;
                return true;
            }
            if (c < 0x20) {
                fail(i, "control character in a string (escape it)");
                return false;
            }
            if (c == '\\') {
                escaped = true;
                if (i + 1 >= end) {
                    break;
                }
                int e = at(i + 1);
                if (e == 'u') {
                    if (i + 6 > end || hex4(i + 2) < 0) {
                        fail(i, "invalid \\u escape");
                        return false;
                    }
                    i += 6;
                } else if (unescape(e) < 0) {
                    fail(i, "invalid escape");
                    return false;
                } else {
                    i += 2;
                }
            } else if (c >= 0x80 && validateUtf8) {
                int length = utf8Sequence(i, c);
                if (length < 0) {
                    fail(i, "invalid UTF-8");
                    return false;
                }
                i += length;
            } else {
                i++;
            }
        }
        fail(end, "unexpected end of input in a string");
        return false;
    }

    /** The length of the well-formed UTF-8 sequence at {@code i} whose first byte is {@code first}, or -1. */
    private int utf8Sequence(int i, int first) {
        int length;
        int min;
        int cp;
        if (first >= 0xc2 && first <= 0xdf) {
            length = 2;
            min = 0x80;
            cp = first & 0x1f;
        } else if (first >= 0xe0 && first <= 0xef) {
            length = 3;
            min = 0x800;
            cp = first & 0x0f;
        } else if (first >= 0xf0 && first <= 0xf4) {
            length = 4;
            min = 0x10000;
            cp = first & 0x07;
        } else {
            return -1;
        }
        if (i + length > end) {
            return -1;
        }
        for (int k = 1; k < length; k++) {
            int b = at(i + k) & 0xff;
            if ((b & 0xc0) != 0x80) {
                return -1;
            }
            cp = cp << 6 | (b & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }
        return length;
    }

    /** The value of 4 hex digits at {@code at}, or -1. */
    private int hex4(int at) {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(at(at + i), 16);
            if (d < 0) {
                return -1;
            }
            value = value << 4 | d;
        }
        return value;
    }

    private static int unescape(int e) {
        return switch (e) {
            case '"' -> '"';
            case '\\' -> '\\';
            case '/' -> '/';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            default -> -1;
        };
    }

    /** Reads a number at pos: {@link #NUMBER_INT}, {@link #NUMBER_FLOAT} or {@link #ERROR}. */
    private int number(int first) {
        int i = pos;
        boolean negative = first == '-';
        if (negative) {
            i++;
        }
        int digitsStart = i;
        long value = 0;
        boolean overflow = false;
        while (i < end) {
            int c = at(i);
            if (c < '0' || c > '9') {
                break;
            }
            int d = c - '0';
            // accumulate negatively so that Long.MIN_VALUE fits
            if (value < (Long.MIN_VALUE + d) / 10) {
                overflow = true;
            } else {
                value = value * 10 - d;
            }
            i++;
        }
        int digits = i - digitsStart;
        if (digits == 0 || (digits > 1 && at(digitsStart) == '0')) {
            return ERROR;
        }
        boolean integer = true;
        if (i < end && at(i) == '.') {
            integer = false;
            int fractionStart = ++i;
            while (i < end && isDigit(at(i))) {
                i++;
            }
            if (i == fractionStart) {
                return ERROR;
            }
        }
        if (i < end && (at(i) == 'e' || at(i) == 'E')) {
            integer = false;
            i++;
            if (i < end && (at(i) == '+' || at(i) == '-')) {
                i++;
            }
            int exponentStart = i;
            while (i < end && isDigit(at(i))) {
                i++;
            }
            if (i == exponentStart) {
                return ERROR;
            }
        }
        if (i - pos > MAX_NUMBER_LENGTH) {
            return ERROR;
        }
        pos = i;
        if (!integer) {
            return NUMBER_FLOAT;
        }
        if (!negative) {
            overflow |= value == Long.MIN_VALUE;
            value = -value;
        }
        longOverflow = overflow;
        longValue = value;
        return NUMBER_INT;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    /** Fails at pos: an unexpected character, or the end of the input. */
    private int fail() {
        return fail(pos, pos < end ? "unexpected character '" + printable(at(pos)) + "'" : "unexpected end of input");
    }

    private int fail(int at, String reason) {
        if (state != FAILED) {
            state = FAILED;
            errorOffset = at;
            errorReason = reason;
        }
        return ERROR;
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
