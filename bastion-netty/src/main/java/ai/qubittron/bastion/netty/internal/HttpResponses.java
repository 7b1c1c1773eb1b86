package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.error.ErrorBodies;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.metering.Decimals;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Builds the gateway's own responses: OpenAI-shaped errors and JSON documents. */
final class HttpResponses {

    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    static final AsciiString LIMIT_REQUESTS = AsciiString.cached("x-ratelimit-limit-requests");
    static final AsciiString REMAINING_REQUESTS = AsciiString.cached("x-ratelimit-remaining-requests");
    static final AsciiString RESET_REQUESTS = AsciiString.cached("x-ratelimit-reset-requests");
    static final AsciiString LIMIT_TOKENS = AsciiString.cached("x-ratelimit-limit-tokens");
    static final AsciiString REMAINING_TOKENS = AsciiString.cached("x-ratelimit-remaining-tokens");
    static final AsciiString RESET_TOKENS = AsciiString.cached("x-ratelimit-reset-tokens");

    /**
     * Headers of the gateway's own responses, not validated: every name is a constant, and every value is
     * the gateway's own or one the HTTP decoder already read as a header value from the upstream.
     */
    static final HttpHeadersFactory OWN_HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private HttpResponses() {
    }

    /** An error response whose body is {@code {"error":{"message","type","code"}}}. */
    static FullHttpResponse error(ErrorKind kind, String message, String requestId) {
        byte[] body = kind == ErrorKind.INVALID_API_KEY ? ErrorBodies.invalidApiKey() : ErrorBodies.json(kind, message);
        FullHttpResponse response = json(HttpResponseStatus.valueOf(kind.status()), Unpooled.wrappedBuffer(body), requestId);
        if (kind == ErrorKind.INVALID_API_KEY) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        return response;
    }

    /** A JSON response; takes ownership of {@code body}. */
    static FullHttpResponse json(HttpResponseStatus status, ByteBuf body, String requestId) {
        // no trailers: the encoder only reads them, and the default would build an empty header map per response
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body,
                OWN_HEADERS.newHeaders(), EmptyHttpHeaders.INSTANCE);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (requestId != null) {
            response.headers().set(X_REQUEST_ID, requestId);
        }
        return response;
    }

    /** Adds the {@code x-ratelimit-*} headers of a rate-limit decision (OpenAI's names and formats). */
    static void rateLimitHeaders(HttpHeaders headers, RateLimitDecision decision) {
        headers.set(LIMIT_REQUESTS, decision.limitRequests())
                .set(REMAINING_REQUESTS, decision.remainingRequests())
                .set(RESET_REQUESTS, duration(decision.resetMillis()))
                .set(LIMIT_TOKENS, decision.limitTokens())
                .set(REMAINING_TOKENS, decision.remainingTokens())
                .set(RESET_TOKENS, duration(decision.resetMillis()));
    }

    /** A duration as OpenAI writes it in rate-limit headers: {@code 250ms}, {@code 12.5s}. */
    static String duration(long millis) {
        return millis < 1000 ? millis + "ms" : Decimals.append(new StringBuilder(), millis / 1000.0, 3).append('s').toString();
    }


    /** A new request id: {@code req_} and 16 hex digits, sent to the client and the upstream. */
    static String newRequestId() {
        long bits = ThreadLocalRandom.current().nextLong();
        byte[] id = new byte[20];
        id[0] = 'r';
        id[1] = 'e';
        id[2] = 'q';
        id[3] = '_';
        for (int i = 19; i >= 4; i--) {
            id[i] = HEX[(int) (bits & 0xf)];
            bits >>>= 4;
        }
        return new String(id, StandardCharsets.US_ASCII);
    }
}
