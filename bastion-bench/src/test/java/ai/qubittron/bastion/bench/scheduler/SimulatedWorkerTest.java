package ai.qubittron.bastion.bench.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedWorkerTest {

    private final Scenario fastAlone = Scenario.standard(1, 60)
            .withWorkers(List.of(new Scenario.WorkerSpec("fast", 0.000_2, 0.012)), -1);
    private final List<SimRequest> finished = new ArrayList<>();
    private final SimulatedWorker worker = new SimulatedWorker(0, fastAlone, new SimulatedWorker.Events() {
        @Override
        public void firstToken(SimRequest request, long now) {
        }

        @Override
        public void token(SimRequest request, long now) {
        }

        @Override
        public void finished(SimRequest request, long now) {
            finished.add(request);
        }
    });

    @Test
    void oneRequestAloneTakesOneStepPerChunkThenOnePerToken() {
        SimRequest r = new SimRequest(0, 0, 3_000, 3);
        worker.submit(r, 0);
        runUntilIdle();
        // 2,048 then 952 prompt tokens, one sequence in the batch: itl × (1 + 0.5/32) + tokens × 0.2 ms
        double step = 0.012 * (1 + 0.5 / 32);
        long first = Math.round((step + 2_048 * 0.000_2) * 1e9) + Math.round((step + 952 * 0.000_2) * 1e9);
        assertThat(r.firstTokenNanos).isEqualTo(first);
        assertThat(r.endNanos).isEqualTo(first + 2 * Math.round(step * 1e9)); // two more tokens, one step each
        assertThat(r.generated).isEqualTo(3);
    }

    @Test
    void theClairvoyantForecastIsExactWhenNothingElseArrives() {
        // a busy worker: a full batch, long prompts in chunked prefill, a queue; the forecast is made mid-step
        Workload.Sizes sizes = new Workload.Sizes(7, 0.3);
        int id = 0;
        for (; id < 40; id++) {
            worker.submit(new SimRequest(id, 0, sizes.prompt(), sizes.output()), 0);
        }
        long now = 0;
        for (int steps = 0; steps < 25; steps++) {
            now = worker.stepEndNanos();
            worker.endStep(now);
        }
        long at = now + 1_000; // mid-step
        assertThat(worker.stepping()).isTrue();
        assertThat(worker.waiting()).isPositive();
        long forecast = worker.predictTtft(at, 5_000, Long.MAX_VALUE, true);
        long expected = worker.predictTtft(at, 5_000, Long.MAX_VALUE, false);
        assertThat(worker.predictTtft(at, 5_000, forecast / 2, true)).isEqualTo(Long.MAX_VALUE); // over the bound
        SimRequest probe = new SimRequest(id, at, 5_000, 10);
        worker.submit(probe, at);
        runUntilIdle();

        assertThat(probe.firstTokenNanos - at).isEqualTo(forecast);
        assertThat((double) expected).isCloseTo(forecast, within(0.5 * forecast)); // mean lengths: near, not exact
    }

    @Test
    void saturatedThroughputMatchesTheAnalyticModel() {
        // at a full batch every request costs its prefill and 1/32 of a loaded decode step per output token;
        // mean prompt 0.8 × 640 + 0.2 × 12,288 tokens, mean output 544 tokens
        double meanPrompt = 0.8 * 640 + 0.2 * 12_288;
        double[][] workers = {{0.000_2, 0.012}, {0.000_45, 0.020}, {0.000_8, 0.030}};
        for (double[] w : workers) {
            double perRequest = meanPrompt * w[0] + 544 * w[1] * 1.5 / 32;
            Scenario alone = fastAlone.withWorkers(List.of(new Scenario.WorkerSpec("w", w[0], w[1])), -1);
            assertThat(Capacity.saturatedThroughput(alone)).isCloseTo(1 / perRequest, within(0.03 / perRequest));
        }
    }

    private void runUntilIdle() {
        while (worker.stepping()) {
            worker.endStep(worker.stepEndNanos());
        }
        assertThat(worker.inFlight()).isZero();
    }
}
