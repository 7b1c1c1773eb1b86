package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import ai.qubittron.bastion.sim.SimConfig;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Clients that send what they should not: each gets a clear answer and nothing else breaks. */
class ClientMisbehaviourTest {

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(1,
                    SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(10).interTokenMillis(20).build())
            .configure(b -> b.maxRequestBytes(16 * 1024));

    private static final String STREAM = "{\"model\":\"gpt-oss-120b\",\"stream\":true,\"max_tokens\":10,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void aBodyNestedTooDeeplyIs400() {
        String deep = "{\"model\":\"gpt-oss-120b\",\"messages\":[{}],\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        HttpResponse<String> response = gateway.send(gateway.post("/v1/chat/completions", deep).build());
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"error\":{\"message\":\"We could not parse the JSON body of your request: ")
                .contains("\"code\":\"invalid_request\"");
    }

    @Test
    void aPipelinedOversizedRequestIsAnswered413InTurnAndTheConnectionGoesOn() throws IOException {
        String oversized = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(20_000) + "\"}]}";
        String small = "{\"model\":\"gpt-oss-120b\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String responses = gateway.exchange(request(STREAM, "") + request(oversized, "") + request(small, "Connection: close\r\n"));
        int done = responses.indexOf("data: [DONE]");
        int tooLarge = responses.indexOf("HTTP/1.1 413 Request Entity Too Large");
        assertThat(done).as(responses).isPositive();
        assertThat(tooLarge).as(responses).isGreaterThan(done);
        assertThat(responses).contains("\"code\":\"request_entity_too_large\"");
        assertThat(responses.indexOf("\"object\":\"chat.completion\"")).as(responses).isGreaterThan(tooLarge);
    }

    @Test
    void aPipelinedExpectContinueWaitsForTheStreamBeforeIt() throws IOException {
        String small = "{\"model\":\"gpt-oss-120b\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String responses = gateway.exchange(request(STREAM, "") + request(small, "Expect: 100-continue\r\nConnection: close\r\n"));
        int done = responses.indexOf("data: [DONE]");
        assertThat(done).as(responses).isPositive();
        assertThat(responses.indexOf("\"object\":\"chat.completion\"")).as(responses).isGreaterThan(done);
        assertThat(responses).doesNotContain("100 Continue");
    }

    @Test
    void anAnswerBeforeTheWholeBodyIsNotLostToAResetWhenTheConnectionCloses() throws IOException {
        // the 413 goes out while the client is still sending; closing with its bytes unread would reset
        // the connection, and the client lose the answer
        String oversized = "{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(200_000) + "\"}]}";
        for (int i = 0; i < 10; i++) {
            String response = gateway.exchange(request(oversized, "Connection: close\r\n"));
            assertThat(response).startsWith("HTTP/1.1 413 Request Entity Too Large\r\n")
                    .contains("\"code\":\"request_entity_too_large\"");
        }
    }

    @Test
    void aTooLongUriIs414AndTooLargeHeadersAre431() throws IOException {
        String longUri = gateway.exchange("GET /v1/models?" + "q".repeat(9000) + " HTTP/1.1\r\nHost: g\r\n\r\n");
        assertThat(longUri).startsWith("HTTP/1.1 414 ").contains("\"code\":\"uri_too_long\"")
                .containsIgnoringCase("connection: close");
        String bigHeaders = gateway.exchange("GET /v1/models HTTP/1.1\r\nHost: g\r\nX-Big: " + "y".repeat(20_000) + "\r\n\r\n");
        assertThat(bigHeaders).startsWith("HTTP/1.1 431 ").contains("\"code\":\"request_header_fields_too_large\"")
                .contains("16384 bytes");
    }

    @Test
    void conflictingBodyLengthsAre400AndTheConnectionCloses() throws IOException {
        String body = "{\"model\":\"gpt-oss-120b\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String chunked = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer " + gateway.key()
                + "\r\nContent-Type: application/json\r\n";
        // a smuggled second request after the part one reader would take as the body
        String smuggled = "GET /v1/models HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer " + gateway.key() + "\r\n\r\n";
        for (String framing : new String[] {
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + smuggled,
            "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunked + smuggled,
            "Content-Length: " + body.length() + "\r\nContent-Length: 4\r\n\r\n" + body + smuggled,
        }) {
            String response = gateway.exchange(head + framing);
            assertThat(response).as(framing).startsWith("HTTP/1.1 400 Bad Request\r\n")
                    .contains("\"code\":\"invalid_request\"").doesNotContain("\"object\":\"list\"");
            assertThat(response.indexOf("HTTP/1.1", 1)).as("one answer, then the connection closes").isNegative();
        }
    }

    private static String request(String body, String extraHeaders) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer " + gateway.key()
                + "\r\nContent-Type: application/json\r\n" + extraHeaders
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }
}
