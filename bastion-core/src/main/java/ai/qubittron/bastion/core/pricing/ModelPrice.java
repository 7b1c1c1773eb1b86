package ai.qubittron.bastion.core.pricing;

/**
 * What a model's tokens cost, in micro-units of the account currency per million tokens: 150,000 is
 * $0.15 per million tokens when the currency is the dollar. Immutable.
 *
 * @param inputPerMillionMicros  price of one million input (prompt) tokens
 * @param outputPerMillionMicros price of one million output (completion) tokens
 */
public record ModelPrice(long inputPerMillionMicros, long outputPerMillionMicros) {

    /** Nothing is charged. */
    public static final ModelPrice FREE = new ModelPrice(0, 0);

    /**
     * Validates.
     *
     * @param inputPerMillionMicros  price of one million input tokens, {@code >= 0}
     * @param outputPerMillionMicros price of one million output tokens, {@code >= 0}
     * @throws IllegalArgumentException when a price is negative
     */
    public ModelPrice {
        if (inputPerMillionMicros < 0) {
            throw new IllegalArgumentException("inputPerMillionMicros: must be >= 0, got " + inputPerMillionMicros);
        }
        if (outputPerMillionMicros < 0) {
            throw new IllegalArgumentException("outputPerMillionMicros: must be >= 0, got " + outputPerMillionMicros);
        }
    }

    /**
     * The cost of a request, rounded up to a whole micro-unit so that no request is ever free by
     * rounding. Exact integer arithmetic; saturates at {@link Long#MAX_VALUE} instead of overflowing.
     *
     * @param inputTokens  the prompt tokens, {@code >= 0}
     * @param outputTokens the output tokens, {@code >= 0}
     * @return the cost in micro-units
     * @throws IllegalArgumentException when a count is negative
     */
    public long costMicros(long inputTokens, long outputTokens) {
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0: input " + inputTokens + ", output " + outputTokens);
        }
        try {
            long scaled = Math.addExact(Math.multiplyExact(inputTokens, inputPerMillionMicros),
                    Math.multiplyExact(outputTokens, outputPerMillionMicros));
            return scaled / 1_000_000 + (scaled % 1_000_000 == 0 ? 0 : 1);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }
}
