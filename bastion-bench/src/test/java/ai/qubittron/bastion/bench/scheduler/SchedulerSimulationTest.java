package ai.qubittron.bastion.bench.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.scheduler.WorkerState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Short simulations; simulated time makes every assertion deterministic. */
class SchedulerSimulationTest {

    private static final Scenario STANDARD = Scenario.standard(1, 600);

    @Test
    void everyRequestCompletesAndTheSchedulersCountersReturnToZero() {
        Workload workload = Workload.generate(STANDARD, 0.85 * Capacity.of(STANDARD).nominal());
        Simulation sim = new Simulation(STANDARD, workload, RoutingPolicy.Kind.BASTION);
        RunResult result = sim.run(); // throws if a request did not finish

        assertThat(result.requests()).isEqualTo(workload.size()).isGreaterThan(2_000);
        for (SimulatedWorker w : sim.workers()) {
            assertThat(w.inFlight()).isZero();
            assertThat(w.stepping()).isFalse();
        }
        for (WorkerState state : ((BastionPolicy) sim.policy()).states()) {
            assertThat(state.inFlight()).as(state.name()).isZero();
            assertThat(state.pendingPrefillTokens()).as(state.name()).isZero();
            assertThat(state.decodingStreams()).as(state.name()).isZero();
        }
    }

    @Test
    void requestsFindingEveryWorkerOverloadedWaitAtTheGatewayAndStillComplete() {
        Scenario touchy = STANDARD.withDuration(300).withOverloadedWaiting(2);
        Simulation sim = new Simulation(touchy, Workload.generate(touchy, 0.95 * Capacity.of(touchy).nominal()),
                RoutingPolicy.Kind.BASTION);
        RunResult result = sim.run();

        assertThat(result.heldByGateway()).isPositive();
        for (WorkerState state : ((BastionPolicy) sim.policy()).states()) {
            assertThat(state.inFlight()).as(state.name()).isZero();
            assertThat(state.pendingPrefillTokens()).as(state.name()).isZero();
        }
    }

    @Test
    void aRunIsAFunctionOfTheSeed() {
        Scenario shortRun = STANDARD.withDuration(120);
        double rate = 0.7 * Capacity.of(shortRun).nominal();
        Workload workload = Workload.generate(shortRun, rate);
        RunResult first = new Simulation(shortRun, workload, RoutingPolicy.Kind.BASTION).run();
        RunResult again = new Simulation(shortRun, Workload.generate(shortRun, rate), RoutingPolicy.Kind.BASTION).run();
        assertThat(again).isEqualTo(first);

        Scenario otherSeed = Scenario.standard(2, 120);
        RunResult other = new Simulation(otherSeed, Workload.generate(otherSeed, rate), RoutingPolicy.Kind.BASTION).run();
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void bastionBeatsRoundRobinAndLeastOutstandingAt85Percent() {
        Map<RoutingPolicy.Kind, RunResult> r =
                SchedulerSimulationBenchmark.runLoad(STANDARD, 0.85 * Capacity.of(STANDARD).nominal());
        RunResult bastion = r.get(RoutingPolicy.Kind.BASTION);
        assertThat(bastion.ttftP99Nanos())
                .isLessThan(r.get(RoutingPolicy.Kind.ROUND_ROBIN).ttftP99Nanos() / 2)
                .isLessThan(r.get(RoutingPolicy.Kind.LEAST_OUTSTANDING).ttftP99Nanos());
        assertThat(bastion.goodput()).isGreaterThan(r.get(RoutingPolicy.Kind.LEAST_OUTSTANDING).goodput());
        // every policy saw the same requests
        assertThat(r.values()).extracting(RunResult::requests).containsOnly(bastion.requests());
    }

    @Test
    void theSlowedWorkersShareFallsToItsCapacityShare() {
        // four equal fast workers, the first 4x slower for the middle third: it has 1/13 of the capacity then
        List<Scenario.WorkerSpec> fast = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fast.add(new Scenario.WorkerSpec("fast-" + i, 0.000_2, 0.012));
        }
        Scenario scenario = Scenario.standard(1, 300).withWorkers(fast, 0);
        Capacity capacity = Capacity.of(scenario);
        double capacityShare = capacity.slowedShareDuring(scenario);
        assertThat(capacityShare).isCloseTo(1.0 / 13, org.assertj.core.api.Assertions.within(0.005));

        RunResult r = new Simulation(scenario, Workload.generate(scenario, 0.7 * capacity.nominal()),
                RoutingPolicy.Kind.BASTION).run();

        assertThat(r.tokenShareBefore()).isGreaterThan(0.15); // about a quarter while all are equal
        // its share of the prefill work falls below half at once and ends at most near its capacity share
        assertThat(r.halvedAfterSeconds()).isLessThanOrEqualTo(10);
        assertThat(r.tokenShareLate()).isLessThan(r.tokenShareBefore() / 2).isLessThan(1.5 * capacityShare);
        // it is not abandoned: it still gets requests (short ones), about as many as its capacity share
        assertThat(r.pickShareLate()).isBetween(capacityShare / 4, 3 * capacityShare);
    }

    @Test
    void roundRobinDoesNotReactToTheSlowdown() {
        Scenario shortRun = STANDARD.withDuration(300);
        RunResult r = new Simulation(shortRun, Workload.generate(shortRun, 0.5 * Capacity.of(shortRun).nominal()),
                RoutingPolicy.Kind.ROUND_ROBIN).run();
        assertThat(r.pickShareLate()).isCloseTo(0.125, org.assertj.core.api.Assertions.within(0.01));
        assertThat(r.halvedAfterSeconds()).isNaN();
    }

    @Test
    void theCommandLineEndsWithTheRatioLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = SchedulerSimulationBenchmark.run(new String[] {"--duration", "60", "--seed", "3"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isZero();
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[lines.length - 1]).matches(
                "ttft-p99 at 85%: vs oracle \\d+\\.\\d\\dx, vs round-robin \\d+\\.\\d\\dx, vs least-outstanding \\d+\\.\\d\\dx");
        assertThat(lines[lines.length - 2]).startsWith("targets at 85%: ").contains("ttft-p99 vs oracle");
        assertThat(err.size()).isZero();
    }

    @Test
    void aBadOptionIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = SchedulerSimulationBenchmark.run(new String[] {"--sede", "3"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option: --sede").contains("usage:");
    }
}
