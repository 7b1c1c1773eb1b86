package ai.qubittron.bastion.spi.ledger;

/**
 * An account's money, in micro-units of the account's currency (a micro-dollar, say). {@code balance −
 * reserved} is what new requests can reserve. A snapshot: immutable, and already old when read, since
 * other requests move the account on.
 *
 * @param accountId      the account
 * @param balanceMicros  prepaid credit not yet spent (reserved amounts are still part of it)
 * @param reservedMicros held by requests in flight
 * @param spentMicros    charged so far
 */
public record AccountBalance(String accountId, long balanceMicros, long reservedMicros, long spentMicros) {

    /** {@return what new requests can still reserve: balance minus reserved} */
    public long availableMicros() {
        return balanceMicros - reservedMicros;
    }
}
