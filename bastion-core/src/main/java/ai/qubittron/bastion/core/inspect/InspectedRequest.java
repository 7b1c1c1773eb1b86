package ai.qubittron.bastion.core.inspect;

import ai.qubittron.bastion.core.catalog.Endpoint;

/**
 * What the gateway needs to know of a model request body, read by {@link RequestInspector} without
 * building a tree. Offsets count bytes from the body's reader index; {@code -1} means absent. Immutable.
 *
 * @param endpoint             the endpoint the body was sent to
 * @param model                the {@code model} exactly as the client named it (an id or an alias); {@code null}
 *                             when a text-to-speech request names none
 * @param modelStart           offset of the {@code model} value's opening quote
 * @param modelEnd             offset just past the {@code model} value's closing quote
 * @param stream               whether the client asked for a stream
 * @param includeUsage         whether the client asked for the usage chunk ({@code stream_options.include_usage})
 * @param maxOutputTokens      the output limit the upstream will apply: {@code max_output_tokens} on responses,
 *                             {@code max_tokens} on completions, {@code max_completion_tokens} else
 *                             {@code max_tokens} on chat; or {@link #NO_LIMIT}
 * @param store                {@code Boolean.TRUE}/{@code FALSE} when {@code store} was sent, else {@code null}
 * @param bodyBytes            the body's length in bytes
 * @param choices              how many completions the request asks for ({@code n} or {@code best_of}, at least 1)
 * @param mediaParts           how many image, audio or file parts the input has
 * @param rootStart            offset of the top-level object's opening brace
 * @param nullLimitStart       offset of a {@code null} value of the limit field to fill (present but unset)
 * @param streamOptionsStart   offset of the {@code stream_options} value (its opening brace, or {@code null})
 * @param streamOptionsMembers how many members the {@code stream_options} object has; -1 when it is absent
 *                             or {@code null}
 * @param includeUsageStart    offset of the {@code include_usage} value
 * @param includeUsageEnd      offset just past the {@code include_usage} value
 */
public record InspectedRequest(Endpoint endpoint, String model, int modelStart, int modelEnd, boolean stream,
                               boolean includeUsage, long maxOutputTokens, Boolean store, int bodyBytes, long choices,
                               int mediaParts,
                               int rootStart, int nullLimitStart, int streamOptionsStart, int streamOptionsMembers,
                               int includeUsageStart, int includeUsageEnd) {

    /** {@link #maxOutputTokens()} when the client set no output limit. */
    public static final long NO_LIMIT = -1;

    /**
     * What the gateway knows of a {@code multipart/form-data} upload (a transcription) once it has read
     * its {@code model} field: the model, and the body's length so far (its {@code Content-Length} when
     * the client sent one). No offsets: an upload is never rewritten as JSON.
     *
     * @param endpoint  the upload's endpoint ({@link Endpoint#TRANSCRIPTIONS})
     * @param model     the {@code model} field's value, as the client sent it
     * @param bodyBytes the body's length so far, in bytes
     * @return what is known of the upload: not streamed, no output limit, one choice
     */
    public static InspectedRequest ofUpload(Endpoint endpoint, String model, int bodyBytes) {
        return new InspectedRequest(endpoint, model, -1, -1, false, false, NO_LIMIT, null, bodyBytes, 1, 0,
                -1, -1, -1, -1, -1, -1);
    }

    /** {@return whether the body carries a {@code stream_options} object (not {@code null})} */
    public boolean hasStreamOptions() {
        return streamOptionsStart >= 0 && streamOptionsMembers >= 0;
    }
}
