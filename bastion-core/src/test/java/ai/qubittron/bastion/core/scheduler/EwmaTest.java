package ai.qubittron.bastion.core.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EwmaTest {

    private static final long TAU = Duration.ofSeconds(10).toNanos();

    @Test
    void blendsHigherAndLowerSamplesAlikeWithTheTimeConstant() {
        Ewma ewma = Ewma.plain(1.0, 0, TAU);
        ewma.update(3.0, TAU); // one time constant later: 1/e of the old value remains
        assertThat(ewma.get()).isCloseTo(Math.exp(-1) + 3 * (1 - Math.exp(-1)), within(1e-9));
        double before = ewma.get();
        ewma.update(0.0, 2 * TAU);
        assertThat(ewma.get()).isCloseTo(before * Math.exp(-1), within(1e-9));
    }

    @Test
    void aSampleAtTheSameInstantHasNoWeight() {
        Ewma ewma = Ewma.plain(1.0, 0, TAU);
        ewma.update(5.0, 0);
        assertThat(ewma.get()).isEqualTo(1.0);
    }

    @Test
    void aSpikeAmongSteadySamplesCountsForTheTimeItTook() {
        // gaps of 20 ms with one of 400 ms (a step carrying a prefill chunk) in every 20: each sample weighs
        // the time since the previous one, so the average tends to Σgap² / Σgap = 0.215 s, where a peak
        // estimate would stay at 0.4 s
        Ewma ewma = Ewma.plain(0.02, 0, TAU);
        long t = 0;
        for (int i = 1; i <= 2_000; i++) {
            double gap = i % 20 == 0 ? 0.4 : 0.02;
            t += (long) (gap * 1e9);
            ewma.update(gap, t);
        }
        assertThat(ewma.get()).isCloseTo(0.215, within(0.03));
    }

    @Test
    void ignoresSamplesThatAreNotNumbers() {
        Ewma ewma = Ewma.plain(1.0, 0, TAU);
        ewma.update(Double.NaN, TAU);
        ewma.update(-1, TAU);
        ewma.update(Double.POSITIVE_INFINITY, TAU);
        assertThat(ewma.get()).isEqualTo(1.0);
    }
}
