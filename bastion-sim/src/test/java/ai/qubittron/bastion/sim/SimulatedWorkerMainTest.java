package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SimulatedWorkerMainTest {

    @Test
    void argumentsConfigureTheWorker() {
        SimulatedWorker w = SimulatedWorkerMain.parse(new String[] {"--port", "0", "--models", "a, b",
                "--inter-token-millis", "0", "--prefill-micros-per-token=7", "--seed", "9", "--max-running", "3"});
        try {
            assertThat(w.models()).containsExactly("a", "b");
            assertThat(w.config().interTokenMillis()).isZero();
            assertThat(w.config().prefillMicrosPerToken()).isEqualTo(7);
            assertThat(w.config().maxRunning()).isEqualTo(3);
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
    }
}
