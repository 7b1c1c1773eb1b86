package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A client cannot hold a connection past its time limits; a request being answered is never cut by them. */
class ClientTimeoutsTest {

    private static final Duration READ = Duration.ofMillis(1000);
    private static final Duration IDLE = Duration.ofMillis(500);

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1,
                    SimConfig.builder().interTokenMillis(100).prefillMicrosPerToken(10).build())
            .configure(b -> b.requestReadTimeout(READ).clientIdleTimeout(IDLE));

    @Test
    void aSlowLorisClientIsClosedOnceTheRequestReadTimeoutRunsOut() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            socket.setSoTimeout(20);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            String request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gateway.key()
                    + "\r\nContent-Length: 1000\r\n\r\n" + "{".repeat(1000);
            long start = System.nanoTime();
            long closedAt = 0;
            // a byte every 80 ms: never idle for the idle timeout, never complete
            for (int i = 0; closedAt == 0 && i < request.length() && System.nanoTime() - start < 5_000_000_000L; i++) {
                try {
                    out.write(request.charAt(i));
                    out.flush();
                    if (in.read() < 0) {
                        closedAt = System.nanoTime();
                    }
                } catch (SocketTimeoutException stillOpen) {
                    Thread.sleep(60);
                } catch (SocketException closed) {
                    closedAt = System.nanoTime();
                }
            }
            assertThat(closedAt).as("closed by the gateway").isPositive();
            assertThat(Duration.ofNanos(closedAt - start)).isBetween(READ.minusMillis(100), Duration.ofSeconds(4));
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeoutAndOneInUseIsNot() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            socket.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertThat(readsEnd(socket.getInputStream())).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(IDLE.minusMillis(100), Duration.ofSeconds(4));
        }
        // a non-streamed answer that takes longer than both timeouts (10 tokens, 100 ms apart) still arrives
        HttpResponse<String> slow = gateway.send(gateway.post("/v1/chat/completions",
                "{\"model\":\"gpt-oss-120b\",\"max_tokens\":12,\"ignore_eos\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").build());
        assertThat(slow.statusCode()).isEqualTo(200);
        assertThat(slow.body()).contains("\"completion_tokens\":12");
    }

    @Test
    void aKeptAliveConnectionServesRequestsAsLongAsTheyComeWithinTheIdleTimeout() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            socket.setSoTimeout(10_000);
            for (int i = 0; i < 4; i++) {
                String body = "{\"model\":\"gpt-oss-120b\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
                socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + gateway.key() + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200 OK");
                Thread.sleep(IDLE.toMillis() / 2);
            }
        }
    }

    /** Reads until the peer closes; true when it did (rather than the read timing out). */
    private static boolean readsEnd(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // whatever it sends first
            }
            return true;
        } catch (SocketException e) {
            return true; // reset: closed as well
        }
    }

    /** One whole response with a Content-Length body. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed after: " + head);
            }
            head.append((char) c);
        }
        String lower = head.toString().toLowerCase();
        int at = lower.indexOf("content-length:");
        int length = Integer.parseInt(lower.substring(at + 15, lower.indexOf("\r\n", at)).trim());
        byte[] body = in.readNBytes(length);
        return head + new String(body, StandardCharsets.UTF_8);
    }
}
