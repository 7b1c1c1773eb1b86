package ai.qubittron.bastion.sim.internal;

/** A request body the worker cannot serve: answered 400 {@code invalid_request_error} with this message. Stackless. */
public final class BadRequestException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadRequestException(String message) {
        super(message, null, false, false);
    }
}
