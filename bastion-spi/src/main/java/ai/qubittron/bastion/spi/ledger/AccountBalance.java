package ai.qubittron.bastion.spi.ledger;

/**
 * An account's money, in micro-units. {@code balance − reserved} is what new requests can reserve.
 *
 * @param accountId      the account
 * @param balanceMicros  prepaid credit not yet spent (reserved amounts are still part of it)
 * @param reservedMicros held by requests in flight
 * @param spentMicros    charged so far
 */
public record AccountBalance(String accountId, long balanceMicros, long reservedMicros, long spentMicros) {

    /** What new requests can still reserve. */
    public long availableMicros() {
        return balanceMicros - reservedMicros;
    }
}
