package ai.qubittron.bastion.core.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The scanner against Jackson, the reference (documents small enough for the scratch array, and one
 * larger, read from the buffer itself): on well-formed documents both must see the same tokens
 * and values; on every prefix and on thousands of mutations of them both must agree whether the bytes
 * are one well-formed JSON value.
 */
class JsonScannerTest {

    private static final JsonFactory JACKSON = new JsonFactory();

    private static final String[] VALID = {
        "{}", "[]", "0", "-0", "1", "-1", "12.5", "-0.5e-3", "1E+2", "1e5", "true", "false", "null", "\"\"",
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\"", " { \"a\" : [ 1 , 2 , { } , [ ] ] , \"b\" : null } ",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "123456789012345678901234567890",
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi 😀 שלום\"},"
                + "\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":9}}",
        "{\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":7,\"output_tokens\":3}}}",
        "[[[[[[[[[[1]]]]]]]]]]", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":[true,false,null,\"x\",-1.5E10]}}}}}",
        "\t\r\n[1,\n2]\n",
    };

    private static final String[] INVALID = {
        "", " ", "{", "}", "[", "]", "{]", "[}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{,}",
        "{a:1}", "{'a':1}", "01", "-", "+1", ".5", "1.", "1e", "1e+", "--1", "tru", "truex", "nul", "nulll",
        "fals", "True", "NaN", "Infinity", "\"abc", "\"\\x\"", "\"\\u12g4\"", "\"\\u12\"", "\"a\u0001b\"",
        "1 2", "[1]x", "{} {}", "[1]]", "{\"a\":1}}", "\"a\"\"b\"", "[1 2]", "{\"a\" 1}", "{\"a\"::1}",
    };

    @Test
    void wellFormedDocumentsGiveJacksonsTokensAndValues() throws IOException {
        for (String json : VALID) {
            assertThat(scan(json)).as(json).isEqualTo(jackson(json));
        }
    }

    @Test
    void malformedDocumentsAreErrors() throws IOException {
        for (String json : INVALID) {
            assertThat(jackson(json)).as("reference: " + json).isNull();
            assertThat(scan(json)).as(json).isNull();
        }
    }

    @Test
    void everyPrefixAndThousandsOfMutationsAgreeWithJackson() throws IOException {
        Random random = new Random(42);
        String alphabet = "{}[]:,\"\\ 0123456789.eE+-tfnrulasx/bu\n\t";
        int checked = 0;
        for (String json : VALID) {
            for (int i = 0; i <= json.length(); i++) {
                agree(json.substring(0, i));
                checked++;
            }
            for (int m = 0; m < 400; m++) {
                StringBuilder mutated = new StringBuilder(json);
                for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
                    int at = random.nextInt(mutated.length() + 1);
                    char c = alphabet.charAt(random.nextInt(alphabet.length()));
                    switch (random.nextInt(3)) {
                        case 0 -> mutated.insert(at, c);
                        case 1 -> {
                            if (at < mutated.length()) {
                                mutated.deleteCharAt(at);
                            }
                        }
                        default -> {
                            if (at < mutated.length()) {
                                mutated.setCharAt(at, c);
                            }
                        }
                    }
                }
                agree(mutated.toString());
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(10_000);
    }

    @Test
    void nestingIsBoundedAsJacksonBoundsIt() throws IOException {
        String ok = "[".repeat(JsonScanner.MAX_DEPTH) + "]".repeat(JsonScanner.MAX_DEPTH);
        String deep = "[".repeat(JsonScanner.MAX_DEPTH + 1) + "]".repeat(JsonScanner.MAX_DEPTH + 1);
        assertThat(scan(ok)).isNotNull();
        assertThat(scan(deep)).isNull();
        assertThat(jackson(deep)).isNull();
        String objects = "{\"a\":".repeat(100) + "1" + "}".repeat(100);
        assertThat(scan(objects)).isEqualTo(jackson(objects));
    }

    @Test
    void readsACompositeOfSlicesAcrossComponentBoundaries() {
        String json = VALID[20];
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut += 7) {
            CompositeByteBuf composite = Unpooled.compositeBuffer();
            composite.addComponents(true, Unpooled.wrappedBuffer(bytes, 0, cut),
                    Unpooled.wrappedBuffer(bytes, cut, bytes.length - cut));
            try {
                assertThat(scan(composite)).isEqualTo(scan(json));
            } finally {
                composite.release();
            }
        }
    }

    @Test
    void readsADocumentTooLargeForTheScratchArrayFromTheBufferItself() throws IOException {
        StringBuilder json = new StringBuilder("{\"items\":[");
        for (int i = 0; json.length() <= JsonScanner.MAX_SCRATCH + 100; i++) {
            json.append(i == 0 ? "" : ",").append("{\"n\":").append(i).append(",\"s\":\"caf\u00e9 \\u00e9 ").append(i).append("\"}");
        }
        String doc = json.append("]}").toString();
        assertThat(scan(doc)).isEqualTo(jackson(doc));
        assertThat(scan(doc.substring(0, doc.length() - 1))).isNull();
    }

    @Test
    void comparesNamesAndStringsWithEscapesDecoded() {
        JsonScanner scanner = new JsonScanner();
        ByteBuf buf = Unpooled.copiedBuffer("{\"\\u0075sage\":\"a.delta\",\"us\":\"x\\n.delta\"}", StandardCharsets.UTF_8);
        scanner.reset(buf);
        assertThat(scanner.next()).isEqualTo(JsonScanner.START_OBJECT);
        assertThat(scanner.next()).isEqualTo(JsonScanner.FIELD_NAME);
        assertThat(scanner.textEquals(ascii("usage"))).isTrue();
        assertThat(scanner.textEquals(ascii("usag"))).isFalse();
        assertThat(scanner.textEquals(ascii("usages"))).isFalse();
        assertThat(scanner.next()).isEqualTo(JsonScanner.STRING);
        assertThat(scanner.textEndsWith(ascii(".delta"))).isTrue();
        assertThat(scanner.textEquals(ascii("a.delta"))).isTrue();
        assertThat(scanner.next()).isEqualTo(JsonScanner.FIELD_NAME);
        assertThat(scanner.textEquals(ascii("usage"))).isFalse();
        assertThat(scanner.next()).isEqualTo(JsonScanner.STRING);
        assertThat(scanner.text()).isEqualTo("x\n.delta");
        assertThat(scanner.textEndsWith(ascii(".delta"))).isTrue();
        assertThat(scanner.textEndsWith(ascii("x.delta"))).isFalse();
        assertThat(scanner.next()).isEqualTo(JsonScanner.END_OBJECT);
        assertThat(scanner.next()).isEqualTo(JsonScanner.END);
        buf.release();
    }

    @Test
    void reportsDepthArraysAndOffsets() {
        JsonScanner scanner = new JsonScanner();
        ByteBuf buf = Unpooled.copiedBuffer("  {\"a\":[{\"b\":\"xy\"}]}", StandardCharsets.UTF_8);
        scanner.reset(buf);
        assertThat(scanner.next()).isEqualTo(JsonScanner.START_OBJECT);
        assertThat(scanner.tokenStart()).isEqualTo(2);
        assertThat(scanner.depth()).isEqualTo(1);
        assertThat(scanner.isArrayAt(1)).isFalse();
        scanner.next(); // "a"
        assertThat(scanner.next()).isEqualTo(JsonScanner.START_ARRAY);
        assertThat(scanner.isArrayAt(2)).isTrue();
        scanner.next(); // {
        scanner.next(); // "b"
        assertThat(scanner.next()).isEqualTo(JsonScanner.STRING);
        assertThat(scanner.depth()).isEqualTo(3);
        assertThat(scanner.tokenStart()).isEqualTo(13);
        assertThat(scanner.tokenEnd()).isEqualTo(17);
        assertThat(scanner.textStart()).isEqualTo(14);
        assertThat(scanner.textEnd()).isEqualTo(16);
        buf.release();
    }

    @Test
    void validatesUtf8WhenAskedTo() {
        byte[][] valid = {utf8("\"héllo 🐉 wörld\""), bytes('"', 0x7f, '"'), bytes('"', 0xdf, 0xbf, '"'),
            bytes('"', 0xef, 0xbf, 0xbf, '"'), bytes('"', 0xf4, 0x8f, 0xbf, 0xbf, '"')};
        byte[][] invalid = {bytes('"', 0x80, '"'), bytes('"', 0xc0, 0x80, '"'), bytes('"', 0xc1, 0xbf, '"'),
            bytes('"', 0xe0, 0x80, 0x80, '"'), bytes('"', 0xed, 0xa0, 0x80, '"'), bytes('"', 0xf4, 0x90, 0x80, 0x80, '"'),
            bytes('"', 0xf5, 0x80, 0x80, 0x80, '"'), bytes('"', 0xe2, 0x82, '"'), bytes('"', 0xff, '"'),
            bytes('{', '"', 0xc3, '"', ':', '1', '}')};
        for (byte[] json : valid) {
            assertThat(scanBytes(json, true)).as(hex(json)).isEqualTo(JsonScanner.END);
        }
        for (byte[] json : invalid) {
            assertThat(scanBytes(json, true)).as(hex(json)).isEqualTo(JsonScanner.ERROR);
            assertThat(scanBytes(json, false)).as("not validating: " + hex(json)).isEqualTo(JsonScanner.END);
        }
    }

    @Test
    void saysWhereAndWhyADocumentFails() {
        assertThat(failure("{\"a\":1,}")).isEqualTo("7: unexpected character '}'");
        assertThat(failure("{\"a\":[1,2")).isEqualTo("9: unexpected end of input");
        assertThat(failure("{} x")).isEqualTo("3: content after the end of the JSON value");
        assertThat(failure("[1, 01]")).isEqualTo("4: malformed number");
        assertThat(failure("[nul]")).isEqualTo("1: invalid literal");
        assertThat(failure("[\"a\\qb\"]")).isEqualTo("3: invalid escape");
        assertThat(failure("[\"a\nb\"]")).isEqualTo("3: control character in a string (escape it)");
        assertThat(failure("[\"ab")).isEqualTo("4: unexpected end of input in a string");
        assertThat(failure("[".repeat(1001))).isEqualTo("1000: nested deeper than 1000 levels");
        assertThat(failure("[" + "1".repeat(1001) + "]")).isEqualTo("1: malformed number");
    }

    private static String failure(String json) {
        JsonScanner scanner = new JsonScanner();
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            scanner.reset(buf);
            int token;
            while ((token = scanner.next()) > JsonScanner.END) {
                // to the end
            }
            return token == JsonScanner.ERROR ? scanner.errorOffset() + ": " + scanner.errorReason() : "no error";
        } finally {
            buf.release();
        }
    }

    private static int scanBytes(byte[] json, boolean validateUtf8) {
        JsonScanner scanner = new JsonScanner(validateUtf8);
        ByteBuf buf = Unpooled.wrappedBuffer(json);
        scanner.reset(buf);
        int token;
        while ((token = scanner.next()) > JsonScanner.END) {
            // to the end
        }
        return token;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x ", b & 0xff));
        }
        return out.toString().trim();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void agree(String json) throws IOException {
        List<String> reference = jackson(json);
        List<String> scanned = scan(json);
        assertThat(scanned).as("%s", json).isEqualTo(reference);
    }

    private static List<String> scan(String json) {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return scan(buf);
        } finally {
            buf.release();
        }
    }

    /** The tokens as strings ("kind:value"), or null when the scanner says the document is malformed. */
    private static List<String> scan(ByteBuf buf) {
        JsonScanner scanner = new JsonScanner();
        scanner.reset(buf);
        List<String> tokens = new ArrayList<>();
        int token;
        while ((token = scanner.next()) > JsonScanner.END) {
            tokens.add(switch (token) {
                case JsonScanner.START_OBJECT -> "{";
                case JsonScanner.END_OBJECT -> "}";
                case JsonScanner.START_ARRAY -> "[";
                case JsonScanner.END_ARRAY -> "]";
                case JsonScanner.FIELD_NAME -> "name:" + scanner.text();
                case JsonScanner.STRING -> "string:" + scanner.text();
                case JsonScanner.NUMBER_INT -> "int:" + (scanner.fitsLong() ? String.valueOf(scanner.longValue()) : "big");
                case JsonScanner.NUMBER_FLOAT -> "float";
                case JsonScanner.TRUE -> "true";
                case JsonScanner.FALSE -> "false";
                case JsonScanner.NULL -> "null";
                default -> throw new AssertionError(token);
            });
        }
        return token == JsonScanner.END ? tokens : null;
    }

    /** Jackson's tokens in the same form, or null when it rejects the document (or sees more than one value). */
    private static List<String> jackson(String json) throws IOException {
        List<String> tokens = new ArrayList<>();
        try (JsonParser p = JACKSON.createParser(json.getBytes(StandardCharsets.UTF_8))) {
            JsonToken token;
            int depth = 0;
            int roots = 0;
            while ((token = p.nextToken()) != null) {
                if (depth == 0 && ++roots > 1) {
                    return null;
                }
                tokens.add(switch (token) {
                    case START_OBJECT -> {
                        depth++;
                        yield "{";
                    }
                    case END_OBJECT -> {
                        depth--;
                        yield "}";
                    }
                    case START_ARRAY -> {
                        depth++;
                        yield "[";
                    }
                    case END_ARRAY -> {
                        depth--;
                        yield "]";
                    }
                    case FIELD_NAME -> "name:" + p.currentName();
                    case VALUE_STRING -> "string:" + p.getText();
                    case VALUE_NUMBER_INT -> "int:" + (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? "big"
                            : String.valueOf(p.getLongValue()));
                    case VALUE_NUMBER_FLOAT -> "float";
                    case VALUE_TRUE -> "true";
                    case VALUE_FALSE -> "false";
                    case VALUE_NULL -> "null";
                    default -> throw new AssertionError(token);
                });
            }
            return roots == 1 ? tokens : null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }
}
