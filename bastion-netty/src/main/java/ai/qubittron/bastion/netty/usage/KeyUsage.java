package ai.qubittron.bastion.netty.usage;

/**
 * What one node settled for one key and one model in one minute.
 *
 * @param minute       the minute's start, epoch seconds
 * @param keyId        the key's public id, or {@link #OTHER} for the entries past the per-minute cap
 * @param accountId    the account the key bills ({@link #OTHER} likewise)
 * @param model        the catalog model's id ({@link #OTHER} likewise)
 * @param requests     requests settled
 * @param inputTokens  input tokens billed
 * @param outputTokens output tokens billed
 * @param spentMicros  micro-dollars the ledger charged (0 without a ledger)
 */
public record KeyUsage(long minute, String keyId, String accountId, String model, long requests, long inputTokens,
                       long outputTokens, long spentMicros) {

    /** The key, account and model of the entry that sums a minute's key × model pairs past the cap. */
    public static final String OTHER = "(other)";
}
