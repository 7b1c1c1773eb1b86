package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SimulatedWorkerMainTest {

    @Test
    void argumentsConfigureTheWorker() {
        SimulatedWorker w = SimulatedWorkerMain.parse(new String[] {"--port", "0", "--models", "a, b",
                "--inter-token-millis", "0", "--prefill-micros-per-token=7", "--seed", "9", "--max-running", "3",
                "--transcription-micros-per-audio-second", "11", "--speech-micros-per-audio-second=250000"});
        try {
            assertThat(w.models()).containsExactly("a", "b");
            assertThat(w.config().interTokenMillis()).isZero();
            assertThat(w.config().prefillMicrosPerToken()).isEqualTo(7);
            assertThat(w.config().maxRunning()).isEqualTo(3);
            assertThat(w.config().transcriptionMicrosPerAudioSecond()).isEqualTo(11);
            assertThat(w.config().speechMicrosPerAudioSecond()).isEqualTo(250_000);
            w.start();
            assertThat(w.port()).isPositive();
        } finally {
            w.close();
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThat(SimulatedWorkerMain.parse(new String[] {"--help"})).isNull();
        assertThatThrownBy(() -> SimulatedWorkerMain.parse(new String[] {"--bogus", "1"})).hasMessageContaining("--bogus");
        assertThatThrownBy(() -> SimulatedWorkerMain.parse(new String[] {"--port"})).hasMessageContaining("--port");
        assertThatThrownBy(() -> SimulatedWorkerMain.parse(new String[] {"--port", "x"})).hasMessageContaining("integer");
        assertThatThrownBy(() -> SimulatedWorkerMain.parse(new String[] {"--inter-token-millis", "-1"}))
                .hasMessageContaining("interTokenMillis");
        assertThatThrownBy(() -> SimulatedWorkerMain.parse(new String[] {"--speech-micros-per-audio-second", "-1"}))
                .hasMessageContaining("speechMicrosPerAudioSecond");
    }
}
