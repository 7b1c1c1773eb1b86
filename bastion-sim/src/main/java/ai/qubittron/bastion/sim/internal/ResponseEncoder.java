package ai.qubittron.bastion.sim.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * Writes one endpoint's response bodies and stream events for a {@link Sequence}. Called on the
 * sequence's event loop; stateless (per-response state lives in the sequence).
 */
interface ResponseEncoder {

    /** The non-streamed response body, written once the last token is produced. */
    void writeBody(JsonGenerator g, Sequence s) throws IOException;

    /** Events written with the first token, before it: chat role chunk, Responses preamble. */
    void preamble(Sequence s, EventSink out);

    /** The event carrying token {@code index} (0-based), whose text is {@code text}. */
    void token(Sequence s, int index, String text, EventSink out);

    /** The events after the last token, {@code data: [DONE]} included where the API has it. */
    void finish(Sequence s, EventSink out);

    /** Where encoders put SSE events; implemented by {@link Sequence}, which owns the buffers. */
    interface EventSink {
        /**
         * Writes one event: an {@code event: <type>} line when {@code type} is not null, then
         * {@code data: <json>} and a blank line. Returns false once the stream has been cut.
         */
        boolean event(String type, Json.Body data);

        /** Writes {@code data: <raw>} and a blank line; false once the stream has been cut. */
        boolean rawEvent(String raw);
    }
}
