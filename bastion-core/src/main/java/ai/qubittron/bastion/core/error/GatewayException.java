package ai.qubittron.bastion.core.error;

import java.util.Objects;

/**
 * A failure the client is to be told about, as an {@link ErrorKind} and a human-readable message.
 *
 * <p>Stackless: these are expected outcomes (a bad request, an unknown model), not bugs, and they are
 * thrown on the request path where filling a stack trace would be pure cost. Immutable.
 */
public final class GatewayException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What kind of failure this is. */
    private final ErrorKind kind;

    /**
     * A failure to answer with.
     *
     * @param kind    what kind of failure it is
     * @param message what the client reads in the body's {@code message}, so never a secret
     */
    public GatewayException(ErrorKind kind, String message) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** {@return what kind of failure this is, which fixes status, type and code} */
    public ErrorKind kind() {
        return kind;
    }

    /** {@return the OpenAI-shaped JSON body for this failure, built anew (the caller owns it)} */
    public byte[] toJson() {
        return ErrorBodies.json(kind, getMessage());
    }
}
