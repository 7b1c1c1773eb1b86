package ai.qubittron.bastion.sim.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * The catalogue of errors the worker answers, all in the OpenAI shape
 * {@code {"error":{"message","type","code"}}}: one place maps each failure to status, type, code and
 * message. The bodies of fixed errors are built once. Thread-safe.
 */
public final class SimErrors {

    /** An error answer: status and JSON body. */
    public record SimError(HttpResponseStatus status, String type, String code, String message, ByteBuf fixedBody) {

        /** The body as a new buffer owned by the caller. */
        public ByteBuf body(ByteBufAllocator alloc) {
            if (fixedBody != null) {
                return fixedBody.duplicate(); // unreleasable: its release by the writer is a no-op
            }
            return Json.encode(alloc, g -> {
                g.writeStartObject();
                g.writeObjectFieldStart("error");
                g.writeStringField("message", message);
                g.writeStringField("type", type);
                g.writeStringField("code", code);
                g.writeEndObject();
                g.writeEndObject();
            });
        }
    }

    /** An injected failure ({@link ai.qubittron.bastion.sim.SimFaults#errorRate()}): 500 {@code internal_error}. */
    public static final SimError SIMULATED_FAILURE = fixed(HttpResponseStatus.INTERNAL_SERVER_ERROR, "api_error",
            "internal_error", "simulated failure");

    /** {@code /v1/responses} with {@code "store": true}: 500 {@code internal_error}, as the product upstream answers. */
    public static final SimError STORE_UNSUPPORTED = fixed(HttpResponseStatus.INTERNAL_SERVER_ERROR, "api_error",
            "internal_error", "stateful responses (store=true) are not supported");

    /** An unknown path: 404 {@code not_found}. */
    public static final SimError NOT_FOUND = fixed(HttpResponseStatus.NOT_FOUND, "invalid_request_error",
            "not_found", "Not Found");

    /** A known path with the wrong method: 405 {@code method_not_allowed}. */
    public static final SimError METHOD_NOT_ALLOWED = fixed(HttpResponseStatus.METHOD_NOT_ALLOWED,
            "invalid_request_error", "method_not_allowed", "Method Not Allowed");

    private SimErrors() {
    }

    /** 400 {@code invalid_request}: the body failed validation. */
    public static SimError badRequest(String message) {
        return new SimError(HttpResponseStatus.BAD_REQUEST, "invalid_request_error", "invalid_request", message, null);
    }

    /** 404 {@code model_not_found}, like vLLM for a model it does not serve. */
    public static SimError modelNotFound(String model) {
        return new SimError(HttpResponseStatus.NOT_FOUND, "invalid_request_error", "model_not_found",
                "The model `" + model + "` does not exist.", null);
    }

    private static SimError fixed(HttpResponseStatus status, String type, String code, String message) {
        ByteBuf body = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
                ("{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"code\":\"" + code + "\"}}")
                        .getBytes(StandardCharsets.UTF_8)));
        return new SimError(status, type, code, message, body);
    }
}
