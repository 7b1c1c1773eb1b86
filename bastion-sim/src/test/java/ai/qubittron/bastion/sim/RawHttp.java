package ai.qubittron.bastion.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client on a plain socket, so tests see the wire exactly: each chunk of a chunked
 * response with its arrival time, whether the response ended cleanly, and when the server cut the
 * connection. Keep-alive: several exchanges can share one connection.
 */
final class RawHttp implements Closeable {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static RawHttp connect(int port) {
        try {
            Socket s = new Socket();
            s.setSoTimeout(20_000);
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            return new RawHttp(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One request on a fresh connection, the whole response read. */
    static Response exchange(int port, String method, String path, String body) {
        try (RawHttp http = connect(port)) {
            http.send(method, path, body);
            return http.readResponse();
        }
    }

    static Response post(int port, String path, String body) {
        return exchange(port, "POST", path, body);
    }

    static Response get(int port, String path) {
        return exchange(port, "GET", path, null);
    }

    void send(String method, String path, String body) {
        write(request(method, path, body));
    }

    static String request(String method, String path, String body) {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder();
        sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        sb.append("Host: 127.0.0.1\r\n");
        if (body != null) {
            sb.append("Content-Type: application/json\r\n");
        }
        sb.append("Content-Length: ").append(bytes.length).append("\r\n\r\n");
        return sb + (body == null ? "" : body);
    }

    void write(String raw) {
        write(raw.getBytes(StandardCharsets.UTF_8));
    }

    void write(byte[] raw) {
        try {
            out.write(raw);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the status line and headers. */
    Head readHead() {
        String status = readLine();
        if (status == null) {
            throw new UncheckedIOException(new IOException("connection closed before a response"));
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while ((line = readLine()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return new Head(code, headers);
    }

    /** The next chunk of a chunked body; null at the terminal chunk; throws EndOfStream when cut. */
    Chunk readChunk() {
        String size = readLine();
        if (size == null) {
            throw new EndOfStream();
        }
        int n = Integer.parseInt(size.trim(), 16);
        if (n == 0) {
            readLine(); // the blank line after the terminal chunk
            return null;
        }
        byte[] data = readBytes(n);
        long at = System.nanoTime();
        readLine();
        return new Chunk(at, new String(data, StandardCharsets.UTF_8));
    }

    /** Reads a whole response; a chunked body cut by the server gives {@code complete == false}. */
    Response readResponse() {
        Head head = readHead();
        List<Chunk> chunks = new ArrayList<>();
        boolean complete = true;
        if ("chunked".equalsIgnoreCase(head.headers().get("transfer-encoding"))) {
            try {
                Chunk c;
                while ((c = readChunk()) != null) {
                    chunks.add(c);
                }
            } catch (EndOfStream | UncheckedIOException e) {
                complete = false;
            }
        } else {
            int length = Integer.parseInt(head.headers().getOrDefault("content-length", "0"));
            chunks.add(new Chunk(System.nanoTime(), new String(readBytes(length), StandardCharsets.UTF_8)));
        }
        return new Response(head.status(), head.headers(), chunks, complete);
    }

    /** True when the server closed the connection (EOF, or reset). */
    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private String readLine() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, len, StandardCharsets.UTF_8);
                }
                line.write(b);
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private byte[] readBytes(int n) {
        try {
            byte[] data = in.readNBytes(n);
            if (data.length < n) {
                throw new EndOfStream();
            }
            return data;
        } catch (IOException e) {
            throw new EndOfStream();
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    static final class EndOfStream extends RuntimeException {
        private static final long serialVersionUID = 1L;

        EndOfStream() {
            super("connection closed", null, false, false);
        }
    }

    record Head(int status, Map<String, String> headers) {
    }

    record Chunk(long nanos, String text) {
    }

    record Response(int status, Map<String, String> headers, List<Chunk> chunks, boolean complete) {

        String body() {
            StringBuilder sb = new StringBuilder();
            chunks.forEach(c -> sb.append(c.text()));
            return sb.toString();
        }

        JsonNode json() {
            try {
                return JSON.readTree(body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The SSE events of the body, in order. */
        List<Event> events() {
            return Event.parse(body());
        }
    }

    /** One SSE event: its {@code event:} line (or null) and its {@code data:}. */
    record Event(String type, String data) {

        static List<Event> parse(String body) {
            List<Event> events = new ArrayList<>();
            for (String block : body.split("\n\n")) {
                if (block.isBlank()) {
                    continue;
                }
                String type = null;
                StringBuilder data = new StringBuilder();
                for (String line : block.split("\n")) {
                    if (line.startsWith("event: ")) {
                        type = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    } else {
                        throw new AssertionError("unexpected SSE line: " + line);
                    }
                }
                events.add(new Event(type, data.toString()));
            }
            return events;
        }

        boolean isDone() {
            return data.equals("[DONE]");
        }

        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
