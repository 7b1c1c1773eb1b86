package ai.qubittron.bastion.core.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SchedulerTest {

    private final FakeNanoClock clock = new FakeNanoClock();
    private final Scheduler scheduler =
            new Scheduler(SchedulerConfig.builder().rampUpSamples(0).build(), clock);

    @Test
    void slowerWorkerGetsFewerPicksUnderLoadWithFullScan() {
        WorkerState fast = scheduler.addWorker("m", "fast", null, 0.001, 0.02);
        WorkerState slow = scheduler.addWorker("m", "slow", null, 0.004, 0.02);
        List<Lease> held = holdPicks(100, 500);
        assertThat(slow.inFlight()).isLessThan(fast.inFlight() / 2).isPositive();
        held.forEach(Lease::close);
        assertThat(fast.inFlight() + slow.inFlight()).isZero();
    }

    @Test
    void upToFullScanMaxWorkersEveryPickFindsTheCheapest() {
        List<WorkerState> ws = new ArrayList<>();
        for (int i = 0; i < Scheduler.FULL_SCAN_MAX; i++) {
            ws.add(scheduler.addWorker("m", "w" + i, null, 0.001 * (1 + (i + 5) % Scheduler.FULL_SCAN_MAX), 0.02));
        }
        WorkerState cheapest = ws.get(Scheduler.FULL_SCAN_MAX - 5);
        for (int i = 0; i < 100; i++) {
            Lease l = scheduler.pick("m", 500);
            assertThat(l.worker()).isSameAs(cheapest); // two samples would miss it most of the time
            l.close();
        }
    }

    @Test
    void slowerWorkerGetsFewerPicksUnderLoadWithTwoChoices() {
        List<WorkerState> fast = new ArrayList<>();
        for (int i = 0; i < Scheduler.FULL_SCAN_MAX; i++) {
            fast.add(scheduler.addWorker("m", "fast" + i, null, 0.001, 0.02));
        }
        WorkerState slow = scheduler.addWorker("m", "slow", null, 0.01, 0.02);
        List<Lease> held = holdPicks(100 * (Scheduler.FULL_SCAN_MAX + 1), 500);
        double fastMean = fast.stream().mapToInt(WorkerState::inFlight).average().orElseThrow();
        assertThat((double) slow.inFlight()).isLessThan(fastMean / 3);
        held.forEach(Lease::close);
        assertThat(slow.inFlight()).isZero();
    }

    @Test
    void ttftMeasurementsSteerPicksAwayFromASlowWorker() {
        SchedulerConfig config = SchedulerConfig.builder().rampUpSamples(0).overheadTokens(0).build();
        Scheduler s = new Scheduler(config, clock);
        WorkerState a = s.addWorker("m", "a", null, 0.001, 0.02);
        WorkerState b = s.addWorker("m", "b", null, 0.001, 0.02);
        // b answers a 100-token prompt in 1 s (0.01 s/token): ten times a's estimate
        Lease probe = s.pick("m", 100, Set.of(a));
        probe.firstToken(clock.advance(Duration.ofSeconds(1)));
        probe.succeeded(clock.getAsLong());
        assertThat(b.ttftPerTokenSeconds()).isGreaterThan(a.ttftPerTokenSeconds() * 5);
        List<Lease> held = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            held.add(s.pick("m", 100));
        }
        assertThat(b.inFlight()).isLessThan(a.inFlight() / 4);
        held.forEach(Lease::close);
    }

    @Test
    void decodingStreamsCountInTheCost() {
        SchedulerConfig config = SchedulerConfig.builder().rampUpSamples(0).overheadTokens(0)
                .decodeContention(0.5).build();
        Scheduler s = new Scheduler(config, clock);
        WorkerState w = s.addWorker("m", "w", null, 0.001, 0.04);
        assertThat(w.cost(1000)).isCloseTo(1.0, within(1e-12));
        Lease lease = s.pick("m", 500);
        assertThat(w.cost(1000)).isCloseTo(1.5, within(1e-12));
        lease.firstToken(clock.getAsLong()); // 0 s TTFT: a lower sample, no time passed, estimate unchanged
        // 500 tokens left prefill; one decoding stream adds 0.5 × 0.04 s
        assertThat(w.cost(1000)).isCloseTo(1.02, within(1e-12));
        lease.close();
    }

    @Test
    void newWorkerStartsFromPeersMedianAndRampsUp() {
        SchedulerConfig config = SchedulerConfig.builder().rampUpSamples(4).rampUpFactor(2.0).build();
        Scheduler s = new Scheduler(config, clock);
        WorkerState a = s.addWorker("m", "a", null, 0.001, 0.01);
        WorkerState b = s.addWorker("m", "b", null, 0.002, 0.03);
        WorkerState c = s.addWorker("m", "c", null, 0.009, 0.05);
        // the initial workers are equally cold: no ramp
        assertThat(List.of(a, b, c)).allSatisfy(w -> assertThat(w.rampMultiplier()).isEqualTo(1.0));
        Lease served = s.pick("m", 10, Set.of(s.workers("m").get(1), s.workers("m").get(2)));
        served.succeeded(clock.getAsLong());
        WorkerState fresh = s.addWorker("m", "fresh", null);
        assertThat(fresh.ttftPerTokenSeconds()).isEqualTo(0.002);
        assertThat(fresh.itlSeconds()).isEqualTo(0.03);
        assertThat(fresh.rampMultiplier()).isEqualTo(2.0);
        Set<WorkerState> others = Set.copyOf(s.workers("m").subList(0, 3));
        for (int i = 1; i <= 4; i++) {
            Lease l = s.pick("m", 10, others);
            l.firstToken(clock.getAsLong());
            l.succeeded(clock.getAsLong());
            assertThat(fresh.rampMultiplier()).isEqualTo(2.0 - i / 4.0);
        }
        assertThat(s.addWorker("other", "first", null).ttftPerTokenSeconds())
                .isEqualTo(SchedulerConfig.DEFAULT_TTFT_PER_TOKEN_SECONDS);
    }

    @Test
    void aSeededRandomSourceMakesPicksReproducible() {
        List<String> first = pickSequence(new SplittableRandom(42));
        assertThat(pickSequence(new SplittableRandom(42))).isEqualTo(first);
        assertThat(first.stream().distinct().count()).isGreaterThan(4); // it did sample, not always one worker
    }

    /** 200 picks on more workers than a scan covers (two choices, ties) with 3 leases held at a time. */
    private List<String> pickSequence(SplittableRandom seeded) {
        Scheduler s = new Scheduler(SchedulerConfig.builder().rampUpSamples(0).build(), clock, () -> seeded);
        for (int i = 0; i <= Scheduler.FULL_SCAN_MAX; i++) {
            s.addWorker("m", "w" + i, null, 0.001, 0.02);
        }
        List<String> picked = new ArrayList<>();
        ArrayDeque<Lease> held = new ArrayDeque<>();
        for (int i = 0; i < 200; i++) {
            Lease l = s.pick("m", 100);
            picked.add(l.worker().name());
            held.add(l);
            if (held.size() > 3) {
                held.poll().close();
            }
        }
        held.forEach(Lease::close);
        return picked;
    }

    @Test
    void excludedWorkersAreNotPicked() {
        WorkerState a = scheduler.addWorker("m", "a", null);
        WorkerState b = scheduler.addWorker("m", "b", null);
        for (int i = 0; i < 50; i++) {
            Lease l = scheduler.pick("m", 10, Set.of(a));
            assertThat(l.worker()).isSameAs(b);
            l.close();
        }
        assertThat(scheduler.pick("m", 10, Set.of(a, b))).isNull();
        // with more than FULL_SCAN_MAX workers too
        List<WorkerState> all = new ArrayList<>(List.of(a, b));
        while (all.size() <= Scheduler.FULL_SCAN_MAX) {
            all.add(scheduler.addWorker("m", "x" + all.size(), null));
        }
        WorkerState last = all.get(all.size() - 1);
        Set<WorkerState> allButLast = Set.copyOf(all.subList(0, all.size() - 1));
        for (int i = 0; i < 50; i++) {
            Lease l = scheduler.pick("m", 10, allButLast);
            assertThat(l.worker()).isSameAs(last);
            l.close();
        }
    }

    @Test
    void drainingAndRemovedWorkersGetNoPicks() {
        List<WorkerState> ws = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ws.add(scheduler.addWorker("m", "w" + i, null));
        }
        Lease before = pickOn(ws.get(0));
        assertThat(scheduler.drain("m", ws.get(0))).isTrue();
        assertThat(scheduler.remove("m", ws.get(1))).isTrue();
        assertThat(scheduler.remove("m", ws.get(1))).isFalse();
        assertThat(scheduler.workers("m")).contains(ws.get(0)).doesNotContain(ws.get(1)).hasSize(5);
        assertThat(ws.get(0).draining()).isTrue();
        List<Lease> held = holdPicks(200, 10);
        assertThat(ws.get(0).inFlight()).isEqualTo(1); // only the lease from before the drain
        assertThat(ws.get(1).inFlight()).isZero();
        before.succeeded(clock.getAsLong());
        assertThat(ws.get(0).inFlight()).isZero();
        held.forEach(Lease::close);
    }

    @Test
    void overloadedWorkersAreSkippedAndAllOverloadedMeansSaturated() {
        WorkerState a = scheduler.addWorker("m", "a", null);
        WorkerState b = scheduler.addWorker("m", "b", null);
        a.overloaded(true);
        List<Lease> held = holdPicks(20, 10);
        assertThat(a.inFlight()).isZero();
        assertThat(b.inFlight()).isEqualTo(20);
        assertThat(scheduler.saturated("m", null)).isTrue(); // a is flagged: a wait may help
        b.overloaded(true);
        assertThat(scheduler.pick("m", 10)).isNull();
        assertThat(scheduler.saturated("m", null)).isTrue();
        a.overloaded(false);
        assertThat(scheduler.pick("m", 10).worker()).isSameAs(a);
        held.forEach(Lease::close);
    }

    @Test
    void inFlightCapSaturatesAWorkerUntilALeaseIsReleased() {
        Scheduler capped = new Scheduler(SchedulerConfig.builder().maxInFlightPerWorker(3).build(), clock);
        WorkerState a = capped.addWorker("m", "a", null);
        WorkerState b = capped.addWorker("m", "b", null);
        List<Lease> held = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            held.add(capped.pick("m", 100));
        }
        assertThat(a.inFlight()).isEqualTo(3);
        assertThat(b.inFlight()).isEqualTo(3);
        assertThat(capped.pick("m", 100)).isNull();
        assertThat(capped.saturated("m", null)).isTrue();
        assertThat(capped.saturated("m", Set.of(a, b))).isFalse(); // every candidate excluded: nothing to wait for
        held.remove(0).close();
        Lease next = capped.pick("m", 100);
        assertThat(next).isNotNull();
        next.close();
        held.forEach(Lease::close);
        assertThat(a.inFlight() + b.inFlight()).isZero();
    }

    @Test
    void noWorkerUpIsNotSaturation() {
        WorkerState a = scheduler.addWorker("m", "a", null);
        scheduler.drain("m", a);
        assertThat(scheduler.pick("m", 10)).isNull();
        assertThat(scheduler.saturated("m", null)).isFalse();
        assertThat(scheduler.saturated("unknown", null)).isFalse();
    }

    @Test
    void aCallerOwnedLeaseIsFilledAgainOnlyOnceReleased() {
        WorkerState a = scheduler.addWorker("m", "a", null);
        Lease lease = new Lease();
        assertThat(lease.released()).isTrue();
        assertThat(scheduler.pick("m", 50, null, lease)).isTrue();
        assertThat(lease.worker()).isSameAs(a);
        assertThat(a.pendingPrefillTokens()).isEqualTo(50);
        assertThatThrownBy(() -> scheduler.pick("m", 50, null, lease)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("still holds a pick");
        lease.failed();
        lease.close(); // idempotent within one pick
        assertThat(a.inFlight()).isZero();
        assertThat(scheduler.pick("m", 70, null, lease)).isTrue();
        assertThat(lease.promptTokens()).isEqualTo(70);
        assertThat(a.inFlight()).isEqualTo(1);
        lease.close();
        assertThat(a.inFlight()).isZero();
        assertThat(a.pendingPrefillTokens()).isZero();
        assertThat(scheduler.pick("none", 1, null, lease)).isFalse();
    }

    @Test
    void aNonStreamedSuccessCountsAsARampSample() {
        Scheduler ramped = new Scheduler(SchedulerConfig.builder().rampUpSamples(2).rampUpFactor(3).build(), clock);
        WorkerState warm = ramped.addWorker("m", "warm", null, 0.001, 0.02);
        assertThat(ramped.addWorker("m", "cold", null, 0.001, 0.02).rampMultiplier()).isEqualTo(1.0);
        ramped.remove("m", ramped.workers("m").get(1));
        ramped.pick("m", 10).succeeded(clock.getAsLong()); // now a peer has served: newcomers ramp
        WorkerState a = ramped.addWorker("m", "a", null, 0.001, 0.02);
        ramped.drain("m", warm);
        assertThat(a.rampMultiplier()).isEqualTo(3.0);
        ramped.pick("m", 10).succeeded(clock.getAsLong());
        assertThat(a.rampMultiplier()).isEqualTo(2.0);
        ramped.pick("m", 10).close(); // no outcome: no evidence
        assertThat(a.rampMultiplier()).isEqualTo(2.0);
        ramped.pick("m", 10).succeeded(clock.getAsLong());
        assertThat(a.rampMultiplier()).isEqualTo(1.0);
    }

    @Test
    void rejectsDuplicateNamesAndBadValues() {
        scheduler.addWorker("m", "a", null);
        assertThatThrownBy(() -> scheduler.addWorker("m", "a", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name: a");
        assertThatThrownBy(() -> scheduler.pick("m", -1)).hasMessageContaining("promptTokens: -1");
        assertThatThrownBy(() -> SchedulerConfig.builder().failureThreshold(0))
                .hasMessageContaining("failureThreshold: 0");
        assertThatThrownBy(() -> SchedulerConfig.builder().initialBackoff(Duration.ofSeconds(5))
                .maxBackoff(Duration.ofSeconds(1)).build()).hasMessageContaining("maxBackoff");
    }

    @Test
    void copyOnWriteChangesWhilePickingNeverThrowOrPickARemovedWorker() throws Exception {
        WorkerState stable = scheduler.addWorker("m", "stable", null);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong epoch = new AtomicLong();
        Map<WorkerState, Long> removedAt = new ConcurrentHashMap<>();
        try {
            List<Future<Integer>> pickers = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(2);
            for (int t = 0; t < 2; t++) {
                pickers.add(pool.submit(() -> {
                    started.countDown();
                    int violations = 0;
                    while (!stop.get()) {
                        long before = epoch.get();
                        Lease l = scheduler.pick("m", 10);
                        if (l == null) {
                            violations++; // "stable" is always there
                            continue;
                        }
                        // a pick may race a removal, but one that began after remove() returned must not see it
                        Long gone = removedAt.get(l.worker());
                        if (gone != null && gone <= before) {
                            violations++;
                        }
                        l.close();
                    }
                    return violations;
                }));
            }
            started.await();
            for (int i = 0; i < 500; i++) {
                WorkerState w = scheduler.addWorker("m", "w" + i, null);
                scheduler.remove("m", w);
                removedAt.put(w, epoch.incrementAndGet()); // picks beginning from now on must not get w
                Thread.yield();
            }
            stop.set(true);
            for (Future<Integer> f : pickers) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(scheduler.workers("m")).containsExactly(stable);
        assertThat(stable.inFlight()).isZero();
    }

    private Lease pickOn(WorkerState target) {
        for (int i = 0; i < 1_000; i++) {
            Lease l = scheduler.pick("m", 10);
            if (l.worker() == target) {
                return l;
            }
            l.close();
        }
        throw new AssertionError("never picked " + target);
    }

    /** Picks {@code n} times without releasing, so load builds up. */
    private List<Lease> holdPicks(int n, long promptTokens) {
        List<Lease> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Lease l = scheduler.pick("m", promptTokens);
            assertThat(l).isNotNull();
            held.add(l);
        }
        return held;
    }

    @Test
    void drainingAWorkerUnderAnUnknownModelDoesNotListThatModel() {
        WorkerState worker = scheduler.addWorker("m", "w", null, 0.001, 0.02);
        assertThat(scheduler.drain("no-such-model", worker)).isFalse();
        assertThat(scheduler.models()).containsExactly("m");
    }

    @Test
    void aDurationTooLongForNanosecondsIsRefusedNamingTheField() {
        assertThatThrownBy(() -> SchedulerConfig.builder().maxBackoff(java.time.Duration.ofDays(400L * 365)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maxBackoff: ");
    }
}
