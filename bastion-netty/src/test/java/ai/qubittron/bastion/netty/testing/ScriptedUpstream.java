package ai.qubittron.bastion.netty.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A raw-socket HTTP/1.1 upstream that answers each request with bytes a test scripts, including
 * malformed ones no real server library would send. Keep-alive: it reads requests one after another
 * on a connection until the script returns {@code null} (close) or the peer closes.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** Writes the answer to request number {@code n} (from 1, across connections); may sleep between writes. */
    @FunctionalInterface
    public interface Script {
        /** @return {@code false} to close the connection afterwards */
        boolean answer(int n, String requestHead, OutputStream out) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final Script script;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public ScriptedUpstream(Script script) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        this.acceptor = new Thread(this::accept, "scripted-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A script that writes the same raw response to every request. */
    public static Script always(String rawResponse) {
        return (n, head, out) -> {
            out.write(rawResponse.getBytes(StandardCharsets.UTF_8));
            return true;
        };
    }

    /** Answers by request number: {@code responses.apply(n)} raw bytes, or never when it returns {@code null}. */
    public static Script byNumber(IntFunction<String> responses) {
        return (n, head, out) -> {
            String response = responses.apply(n);
            if (response == null) {
                Thread.sleep(Long.MAX_VALUE);
            }
            out.write(response.getBytes(StandardCharsets.UTF_8));
            return true;
        };
    }

    public int port() {
        return server.getLocalPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** How many requests were received so far. */
    public int requests() {
        return requests.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                Thread connection = new Thread(() -> serve(socket), "scripted-upstream-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                int length = contentLength(head);
                in.readNBytes(length);
                boolean keep = script.answer(requests.incrementAndGet(), head, out);
                out.flush();
                if (!keep) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the peer went away or the test ended
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() {
        try {
            server.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
