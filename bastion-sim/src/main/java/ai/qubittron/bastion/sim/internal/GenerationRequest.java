package ai.qubittron.bastion.sim.internal;

/**
 * What the worker needs from a generation request body, read by {@link RequestParser}.
 *
 * @param endpoint     which endpoint it was sent to
 * @param model        the requested model id
 * @param stream       {@code "stream": true}
 * @param includeUsage {@code "stream_options": {"include_usage": true}}
 * @param maxTokens    the output token limit the request sets ({@code max_completion_tokens},
 *                     {@code max_tokens} or {@code max_output_tokens}), or -1 when it sets none
 * @param store        {@code "store": true} (absent counts as false)
 * @param instructions Responses {@code instructions}, or null
 * @param promptTokens prompt tokens, counted as {@link ai.qubittron.bastion.sim.SimText} documents
 * @param promptKey    the prompt key generation is seeded from
 * @param ignoreEos    vLLM's {@code "ignore_eos": true}: generate up to the limit, past the natural end
 */
public record GenerationRequest(
        Endpoint endpoint,
        String model,
        boolean stream,
        boolean includeUsage,
        int maxTokens,
        boolean store,
        String instructions,
        int promptTokens,
        String promptKey,
        boolean ignoreEos) {
}
