package ai.qubittron.bastion.sim.internal;

import java.util.Locale;

/**
 * What the worker needs from a transcription form, read by {@link TranscriptionParser}. Holds no
 * buffer: the audio is measured while the form is parsed, then released.
 *
 * @param model       the requested model id
 * @param format      {@code response_format}, {@link Format#JSON} when absent
 * @param temperature {@code temperature}, 0 when absent
 * @param audioMillis the audio's duration, as {@link ai.qubittron.bastion.sim.SimText} documents it
 */
record TranscriptionRequest(String model, Format format, double temperature, long audioMillis) {

    /** The {@code response_format}s of OpenAI's transcriptions, with the content type of each. */
    enum Format {
        JSON("application/json"),
        TEXT("text/plain; charset=utf-8"),
        VERBOSE_JSON("application/json"),
        SRT("text/plain; charset=utf-8"),
        VTT("text/plain; charset=utf-8");

        /** As the form spells them, for error messages. */
        static final String NAMES = "json, text, verbose_json, srt, vtt";

        private final String contentType;

        Format(String contentType) {
            this.contentType = contentType;
        }

        /** The format named {@code name} (any case), or null. */
        static Format of(String name) {
            for (Format f : values()) {
                if (f.name().equals(name.toUpperCase(Locale.ROOT))) {
                    return f;
                }
            }
            return null;
        }

        /** The {@code Content-Type} of an answer in this format. */
        String contentType() {
            return contentType;
        }
    }
}
