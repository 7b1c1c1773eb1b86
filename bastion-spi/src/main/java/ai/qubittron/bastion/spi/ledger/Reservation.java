package ai.qubittron.bastion.spi.ledger;

/**
 * The answer to {@link Ledger#reserve}. Immutable.
 *
 * @param granted         whether the amount is now reserved for the request
 * @param amountMicros    the amount asked for
 * @param availableMicros the credit still available after this reservation (when granted) or now
 *                        (when refused); never negative
 */
public record Reservation(boolean granted, long amountMicros, long availableMicros) {

    /**
     * Validates.
     *
     * @param granted         whether the amount is reserved
     * @param amountMicros    the amount asked for, {@code >= 0}
     * @param availableMicros the credit available, {@code >= 0}
     * @throws IllegalArgumentException when an amount is negative
     */
    public Reservation {
        if (amountMicros < 0 || availableMicros < 0) {
            throw new IllegalArgumentException("amounts must be >= 0: amount " + amountMicros + ", available " + availableMicros);
        }
    }
}
