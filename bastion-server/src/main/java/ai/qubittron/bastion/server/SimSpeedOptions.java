package ai.qubittron.bastion.server;

import ai.qubittron.bastion.sim.SimConfig;
import picocli.CommandLine.Option;

/**
 * The speeds of simulated workers, shared by {@code bastion demo} and {@code bastion sim} (a picocli
 * mixin): GPU-like defaults for text, transcription and speech.
 */
final class SimSpeedOptions {

    @Option(names = "--inter-token-millis", defaultValue = "20",
            description = "Simulated time between output tokens, ms (default: ${DEFAULT-VALUE}).")
    int interTokenMillis;

    @Option(names = "--prefill-micros-per-token", defaultValue = "200",
            description = "Simulated prompt processing time per token, µs (default: ${DEFAULT-VALUE}).")
    int prefillMicrosPerToken;

    @Option(names = "--transcription-micros-per-audio-second", defaultValue = "10000",
            description = "Simulated time to transcribe one second of audio, µs (default: ${DEFAULT-VALUE}, 100 times real time).")
    int transcriptionMicrosPerAudioSecond;

    @Option(names = "--speech-micros-per-audio-second", defaultValue = "20000",
            description = "Simulated time to synthesise one second of speech, µs (default: ${DEFAULT-VALUE}, 50 times real time).")
    int speechMicrosPerAudioSecond;

    /** A simulator configuration with these speeds, to go on building. */
    SimConfig.Builder config() {
        return SimConfig.builder()
                .interTokenMillis(interTokenMillis)
                .prefillMicrosPerToken(prefillMicrosPerToken)
                .transcriptionMicrosPerAudioSecond(transcriptionMicrosPerAudioSecond)
                .speechMicrosPerAudioSecond(speechMicrosPerAudioSecond);
    }
}
