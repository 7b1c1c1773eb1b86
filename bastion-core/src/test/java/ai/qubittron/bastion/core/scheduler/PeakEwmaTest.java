package ai.qubittron.bastion.core.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PeakEwmaTest {

    private static final long TAU = Duration.ofSeconds(10).toNanos();

    @Test
    void takesAHigherSampleAtOnce() {
        Ewma ewma = Ewma.peak(1.0, 0, TAU);
        ewma.update(5.0, 1);
        assertThat(ewma.get()).isEqualTo(5.0);
    }

    @Test
    void decaysTowardsALowerSampleWithTheTimeConstant() {
        Ewma ewma = Ewma.peak(1.0, 0, TAU);
        ewma.update(0.0, TAU); // one time constant later: 1/e of the gap remains
        assertThat(ewma.get()).isCloseTo(Math.exp(-1), within(1e-9));
        ewma.update(0.0, TAU); // no time has passed: no decay
        assertThat(ewma.get()).isCloseTo(Math.exp(-1), within(1e-9));
        ewma.update(0.0, 11 * TAU);
        assertThat(ewma.get()).isLessThan(1e-4);
    }

    @Test
    void ignoresSamplesThatAreNotNumbers() {
        Ewma ewma = Ewma.peak(1.0, 0, TAU);
        ewma.update(Double.NaN, TAU);
        ewma.update(-1, TAU);
        ewma.update(Double.POSITIVE_INFINITY, TAU);
        assertThat(ewma.get()).isEqualTo(1.0);
    }

    @Test
    void workerEstimatesReactUpAtOnceAndDecayDown() {
        FakeNanoClock clock = new FakeNanoClock();
        Scheduler scheduler = new Scheduler(SchedulerConfig.builder().overheadTokens(0).build(), clock);
        WorkerState w = scheduler.addWorker("m", "w", null, 0.001, 0.02);

        Lease lease = scheduler.pick("m", 100);
        lease.firstToken(clock.advance(Duration.ofSeconds(1))); // 1 s for 100 tokens ahead = 0.01 s/token
        assertThat(w.ttftPerTokenSeconds()).isCloseTo(0.01, within(1e-12));
        lease.token(clock.getAsLong()); // the relay's call for the first token's own event: a zero gap, no sample
        assertThat(w.itlSeconds()).isEqualTo(0.02);
        // ITL is a plain average: a higher sample is blended in, weighted by the 11 s since the estimate began
        lease.token(clock.advance(Duration.ofSeconds(10)));
        assertThat(w.itlSeconds()).isCloseTo(0.02 * Math.exp(-1.1) + 10 * (1 - Math.exp(-1.1)), within(1e-9));
        lease.succeeded(clock.getAsLong());

        Lease fast = scheduler.pick("m", 100);
        fast.firstToken(clock.advance(Duration.ofSeconds(10))); // 0.1 s/token, τ after the previous sample
        assertThat(w.ttftPerTokenSeconds()).isCloseTo(0.1, within(1e-12)); // up: at once
        fast.close();
        Lease faster = scheduler.pick("m", 100);
        faster.firstToken(clock.advance(Duration.ofSeconds(10))); // the same 0.1 s/token: stays
        faster.close();
        Lease quick = scheduler.pick("m", 1000);
        quick.firstToken(clock.advance(Duration.ofSeconds(10))); // 0.01 s/token after τ
        assertThat(w.ttftPerTokenSeconds())
                .isCloseTo(0.1 * Math.exp(-1) + 0.01 * (1 - Math.exp(-1)), within(1e-9));
        quick.close();
    }
}
