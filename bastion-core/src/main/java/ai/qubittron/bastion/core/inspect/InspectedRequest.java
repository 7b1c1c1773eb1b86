package ai.qubittron.bastion.core.inspect;

import ai.qubittron.bastion.core.catalog.Endpoint;

/**
 * What the gateway needs to know of a model request body, read by {@link RequestInspector} without
 * building a tree. Immutable.
 *
 * @param endpoint        the endpoint the body was sent to
 * @param model           the {@code model} exactly as the client named it (an id or an alias)
 * @param modelStart      offset of the {@code model} value's opening quote, from the body's reader index
 * @param modelEnd        offset just past the {@code model} value's closing quote
 * @param stream          whether the client asked for a stream
 * @param includeUsage    whether the client asked for the usage chunk ({@code stream_options.include_usage})
 * @param hasStreamOptions whether the body carries a {@code stream_options} object
 * @param maxOutputTokens the output limit the client set ({@code max_tokens}, {@code max_completion_tokens}
 *                        or {@code max_output_tokens}, the smallest if several), or {@link #NO_LIMIT}
 * @param store           {@code Boolean.TRUE}/{@code FALSE} when {@code store} was sent, else {@code null}
 * @param bodyBytes       the body's length in bytes
 */
public record InspectedRequest(Endpoint endpoint, String model, int modelStart, int modelEnd, boolean stream,
                               boolean includeUsage, boolean hasStreamOptions, long maxOutputTokens, Boolean store,
                               int bodyBytes) {

    /** {@link #maxOutputTokens()} when the client set no output limit. */
    public static final long NO_LIMIT = -1;
}
