package ai.qubittron.bastion.sim.internal;

/**
 * What the worker needs from a speech request body, read by {@link SpeechParser}.
 *
 * @param model  the requested model id
 * @param input  the text to speak, not empty
 * @param voice  {@code voice}, or null (any voice sounds the same)
 * @param format {@code response_format}, {@link Format#WAV} when absent
 */
record SpeechRequest(String model, String input, String voice, Format format) {

    /** The audio formats the simulator produces. */
    enum Format {
        /** A RIFF/WAVE file: the 44-byte header, then the samples. */
        WAV("audio/wav"),
        /** The bare samples: 16-bit little-endian mono PCM. */
        PCM("audio/pcm");

        private final String contentType;

        Format(String contentType) {
            this.contentType = contentType;
        }

        /** The {@code Content-Type} of audio in this format. */
        String contentType() {
            return contentType;
        }
    }
}
