package ai.qubittron.bastion.bench.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class WorkloadTest {

    @Test
    void interArrivalsHaveTheRateAndBurstinessAskedFor() {
        Scenario scenario = Scenario.standard(11, 20_000);
        Workload w = Workload.generate(scenario, 5.0);
        int n = w.size();
        double sum = 0;
        double sumSq = 0;
        long prev = 0;
        for (int i = 0; i < n; i++) {
            double gap = (w.arrivalNanos[i] - prev) / 1e9;
            prev = w.arrivalNanos[i];
            sum += gap;
            sumSq += gap * gap;
        }
        double mean = sum / n;
        double cv = Math.sqrt(sumSq / n - mean * mean) / mean;
        assertThat(mean).isCloseTo(0.2, within(0.01));
        assertThat(cv).isCloseTo(2.0, within(0.15));
    }

    @Test
    void sizesFollowTheMixAndAreTheSameAtEveryLoad() {
        Scenario scenario = Scenario.standard(5, 2_000);
        Workload low = Workload.generate(scenario, 2.0);
        Workload high = Workload.generate(scenario, 6.0);
        for (int i = 0; i < low.size(); i++) {
            assertThat(high.promptTokens[i]).isEqualTo(low.promptTokens[i]);
            assertThat(high.outputTokens[i]).isEqualTo(low.outputTokens[i]);
        }
        int longPrompts = 0;
        for (int i = 0; i < high.size(); i++) {
            int p = high.promptTokens[i];
            assertThat(p).satisfiesAnyOf(x -> assertThat(x).isBetween(256, 1_024), x -> assertThat(x).isBetween(8_192, 16_384));
            assertThat(high.outputTokens[i]).isBetween(64, 1_024);
            longPrompts += p >= 8_192 ? 1 : 0;
        }
        assertThat((double) longPrompts / high.size()).isCloseTo(0.2, within(0.02));
    }

    @Test
    void expectedRemainingOutputIsTheConditionalMean() {
        assertThat(Workload.expectedRemainingOutput(0)).isEqualTo(544);
        assertThat(Workload.expectedRemainingOutput(10)).isEqualTo(534);
        assertThat(Workload.expectedRemainingOutput(1_000)).isEqualTo(13); // (1,001 + 1,024) / 2 − 1,000
        assertThat(Workload.expectedRemainingOutput(1_024)).isZero();
    }
}
