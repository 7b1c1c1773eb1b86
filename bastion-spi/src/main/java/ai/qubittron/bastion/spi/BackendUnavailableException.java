package ai.qubittron.bastion.spi;

/**
 * A store behind a plugin (a database, a cache) could not be reached or did not answer: the operation may
 * succeed if retried later. Thrown by the blocking administration methods of the shared backends; the
 * admin API answers it with 503 {@code service_unavailable}, never as a conflict or a bad request. The
 * asynchronous SPI methods report the same condition by completing their stage exceptionally.
 */
public class BackendUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what could not be reached, and why
     * @param cause   the underlying failure
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
