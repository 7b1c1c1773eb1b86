package ai.qubittron.bastion.core.error;

/**
 * The catalogue of failures a client can see: each kind fixes the HTTP status, the OpenAI error
 * {@code type} and the {@code code} of the body {@code {"error":{"message","type","code"}}}.
 *
 * <p>The table follows the product documents (shared/API.md); kinds the documents do not name
 * (unknown path, wrong method) follow what the OpenAI API answers. Bodies are built by
 * {@link ErrorBodies}.
 */
public enum ErrorKind {
    /** The body failed validation: bad JSON, a missing or mistyped field. */
    INVALID_REQUEST(400, "invalid_request_error", "invalid_request"),
    /** The model is unknown, or does not support the endpoint. */
    MODEL_NOT_FOUND(400, "invalid_request_error", "model_not_found"),
    /** Missing or invalid bearer token. Its message is always {@code Invalid API key}. */
    INVALID_API_KEY(401, "invalid_request_error", "invalid_api_key"),
    /** The account's prepaid credit cannot cover the request. */
    INSUFFICIENT_FUNDS(402, "insufficient_quota", "insufficient_funds"),
    /** No such endpoint. */
    NOT_FOUND(404, "invalid_request_error", "not_found"),
    /** The endpoint exists but not for this HTTP method. */
    METHOD_NOT_ALLOWED(405, "invalid_request_error", "method_not_allowed"),
    /** The request body is larger than the gateway accepts. */
    REQUEST_TOO_LARGE(413, "invalid_request_error", "request_entity_too_large"),
    /** The request line (its URI) is longer than the gateway reads. */
    URI_TOO_LONG(414, "invalid_request_error", "uri_too_long"),
    /** The request's headers are larger than the gateway reads. */
    HEADERS_TOO_LARGE(431, "invalid_request_error", "request_header_fields_too_large"),
    /** A per-key or per-tier limit was hit; the response carries {@code Retry-After}. */
    RATE_LIMITED(429, "rate_limit_error", "rate_limit_exceeded"),
    /** The gateway itself failed unexpectedly. */
    INTERNAL_ERROR(500, "api_error", "internal_error"),
    /** The upstream model server was unreachable, broke the connection or answered 5xx. */
    UPSTREAM_ERROR(502, "api_error", "upstream_error"),
    /** An internal dependency (limiter, ledger, key store) could not answer: retry. */
    SERVICE_UNAVAILABLE(503, "api_error", "service_unavailable");

    private final int status;
    private final String type;
    private final String code;

    ErrorKind(int status, String type, String code) {
        this.status = status;
        this.type = type;
        this.code = code;
    }

    /** {@return the HTTP status code} */
    public int status() {
        return status;
    }

    /** {@return the OpenAI error {@code type}} */
    public String type() {
        return type;
    }

    /** {@return the machine-readable {@code code}} */
    public String code() {
        return code;
    }
}
