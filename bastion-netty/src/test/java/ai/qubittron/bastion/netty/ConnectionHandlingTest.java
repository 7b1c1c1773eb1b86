package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Client keep-alive, pipelining and connection close; upstream connections that went stale. */
class ConnectionHandlingTest {

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1);

    private static final String CHAT = "{\"model\":\"gpt-oss-120b\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            String first = request("/v1/chat/completions", CHAT, "keep-alive");
            String second = request("/v1/nope", "{}", "keep-alive");
            String third = request("/v1/completions", "{\"model\":\"gpt-oss-120b\",\"prompt\":\"p\",\"max_tokens\":2}", "close");
            out.write((first + second + third).getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            List<String> statusLines = new ArrayList<>();
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                statusLines.add(in.readLine());
                int length = -1;
                String line;
                while (!(line = in.readLine()).isEmpty()) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                char[] body = new char[length];
                int read = 0;
                while (read < length) {
                    read += in.read(body, read, length - read);
                }
                bodies.add(new String(body));
            }
            assertThat(statusLines).containsExactly("HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK");
            assertThat(bodies.get(0)).contains("\"object\":\"chat.completion\"");
            assertThat(bodies.get(2)).contains("\"object\":\"text_completion\"");
            assertThat(in.read()).as("the connection closes after the response to 'Connection: close'").isEqualTo(-1);
        }
    }

    @Test
    void anHttp10ClientGetsAStreamThatEndsWithTheConnection() throws IOException {
        String body = "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.0\r\nAuthorization: Bearer " + gateway.key()
                    + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 200 OK").doesNotContainIgnoringCase("transfer-encoding")
                    .endsWith("data: [DONE]\n\n");
        }
    }

    @Test
    void aRestartedWorkerDoesNotFailTheNextRequest() throws Exception {
        assertThat(gateway.send(gateway.post("/v1/chat/completions", CHAT).build()).statusCode()).isEqualTo(200);
        // the worker drops every connection, including the gateway's pooled keep-alive one, then comes back
        gateway.worker(0).refuseConnections(true);
        gateway.worker(0).refuseConnections(false);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", CHAT).build());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
    }

    @Test
    void aDownWorkerIs502AndRecoveryIsImmediate() throws Exception {
        gateway.worker(0).refuseConnections(true);
        try {
            HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", CHAT).build());
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("\"code\":\"upstream_error\"");
        } finally {
            gateway.worker(0).refuseConnections(false);
        }
        assertThat(gateway.send(gateway.post("/v1/chat/completions", CHAT).build()).statusCode()).isEqualTo(200);
    }

    private static String request(String path, String body, String connection) {
        return "POST " + path + " HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer " + gateway.key()
                + "\r\nContent-Type: application/json\r\nConnection: " + connection
                + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }
}
