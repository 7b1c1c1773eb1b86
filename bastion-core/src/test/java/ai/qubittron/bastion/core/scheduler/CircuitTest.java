package ai.qubittron.bastion.core.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CircuitTest {

    private final FakeNanoClock clock = new FakeNanoClock();
    private final Scheduler scheduler = new Scheduler(SchedulerConfig.defaults(), clock);
    private final WorkerState worker = scheduler.addWorker("m", "w", null);

    @Test
    void opensAfterThreeConsecutiveFailures() {
        fail(2);
        assertThat(worker.circuitState()).isEqualTo(CircuitState.CLOSED);
        scheduler.pick("m", 1).succeeded(clock.getAsLong()); // a success resets the count
        fail(2);
        assertThat(worker.circuitState()).isEqualTo(CircuitState.CLOSED);
        fail(1);
        assertThat(worker.circuitState()).isEqualTo(CircuitState.OPEN);
        assertThat(scheduler.pick("m", 1)).isNull();
    }

    @Test
    void staysOutDuringBackoffThenLetsExactlyOneProbeThrough() {
        fail(3);
        clock.advance(Duration.ofMillis(999));
        assertThat(scheduler.pick("m", 1)).isNull();
        clock.advance(Duration.ofMillis(1));

        Lease probe = scheduler.pick("m", 1);
        assertThat(probe).isNotNull();
        assertThat(probe.probe()).isTrue();
        assertThat(worker.circuitState()).isEqualTo(CircuitState.HALF_OPEN);
        assertThat(scheduler.pick("m", 1)).isNull();

        probe.succeeded(clock.getAsLong());
        assertThat(worker.circuitState()).isEqualTo(CircuitState.CLOSED);
        Lease normal = scheduler.pick("m", 1);
        assertThat(normal.probe()).isFalse();
        normal.close();
        assertIdle();
    }

    @Test
    void probeFirstTokenClosesTheCircuit() {
        fail(3);
        clock.advance(Duration.ofSeconds(1));
        Lease probe = scheduler.pick("m", 1);
        probe.firstToken(clock.getAsLong());
        assertThat(worker.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(scheduler.pick("m", 1)).isNotNull().satisfies(Lease::close);
        probe.failed(); // a later stream failure counts, but one is not enough to reopen
        assertThat(worker.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertIdle();
    }

    @Test
    void failedProbeReopensWithDoublingBackoffUpToTheCap() {
        fail(3);
        long backoff = Duration.ofSeconds(1).toNanos();
        for (int i = 0; i < 8; i++) {
            clock.advance(Duration.ofNanos(backoff));
            Lease probe = scheduler.pick("m", 1);
            assertThat(probe.probe()).isTrue();
            probe.failed();
            assertThat(worker.circuitState()).isEqualTo(CircuitState.OPEN);
            backoff = Math.min(backoff * 2, Duration.ofSeconds(30).toNanos());
            clock.advance(Duration.ofNanos(backoff - 1));
            assertThat(scheduler.pick("m", 1)).as("still in backoff %d", i).isNull();
            clock.advance(Duration.ofNanos(1 - backoff)); // rewind; the loop advances by the full backoff
        }
        assertThat(backoff).isEqualTo(Duration.ofSeconds(30).toNanos());
        clock.advance(Duration.ofSeconds(30));
        scheduler.pick("m", 1).succeeded(clock.getAsLong());
        // closed again, and the backoff starts over at 1 s
        fail(3);
        clock.advance(Duration.ofSeconds(1));
        assertThat(scheduler.pick("m", 1)).isNotNull().satisfies(Lease::close);
        assertIdle();
    }

    @Test
    void probeClosedWithoutOutcomeLetsTheNextPickProbe() {
        fail(3);
        clock.advance(Duration.ofSeconds(1));
        scheduler.pick("m", 1).close();
        assertThat(worker.circuitState()).isEqualTo(CircuitState.OPEN);
        Lease again = scheduler.pick("m", 1);
        assertThat(again.probe()).isTrue();
        again.close();
        assertIdle();
    }

    @Test
    void concurrentPicksGetExactlyOneProbe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 100; round++) {
                fail(3);
                clock.advance(Duration.ofSeconds(1));
                ConcurrentLinkedQueue<Lease> got = new ConcurrentLinkedQueue<>();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        for (int k = 0; k < 20; k++) {
                            Lease l = scheduler.pick("m", 1);
                            if (l != null) {
                                got.add(l);
                            }
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : futures) {
                    f.get(10, TimeUnit.SECONDS);
                }
                assertThat(got).hasSize(1);
                Lease probe = got.poll();
                assertThat(probe.probe()).isTrue();
                probe.succeeded(clock.getAsLong());
                assertThat(worker.circuitState()).isEqualTo(CircuitState.CLOSED);
                assertIdle();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void ejectionsCountEachOpeningNotEachFailedProbe() {
        assertThat(worker.ejections()).isZero();
        fail(2);
        assertThat(worker.ejections()).isZero();
        fail(1);
        assertThat(worker.ejections()).isEqualTo(1);

        // failed probes keep the worker out: the same ejection
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofSeconds(30));
            scheduler.pick("m", 1).failed();
        }
        assertThat(worker.circuitState()).isEqualTo(CircuitState.OPEN);
        assertThat(worker.ejections()).isEqualTo(1);

        // back in, then out again: a second ejection
        clock.advance(Duration.ofSeconds(30));
        scheduler.pick("m", 1).succeeded(clock.getAsLong());
        assertThat(worker.circuitState()).isEqualTo(CircuitState.CLOSED);
        fail(3);
        assertThat(worker.ejections()).isEqualTo(2);
    }

    @Test
    void concurrentFailuresCountOneEjection() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Lease> leases = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                leases.add(scheduler.pick("m", 1));
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (Lease lease : leases) {
                futures.add(pool.submit(() -> {
                    start.await();
                    lease.failed();
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertThat(worker.circuitState()).isEqualTo(CircuitState.OPEN);
            assertThat(worker.ejections()).isEqualTo(1);
            assertIdle();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void pickReturnsNullWhenEveryWorkerIsOpen() {
        WorkerState second = scheduler.addWorker("m", "w2", null);
        for (int i = 0; i < 3; i++) {
            scheduler.pick("m", 1, Set.of(second)).failed();
        }
        assertThat(worker.circuitState()).isEqualTo(CircuitState.OPEN);
        for (int i = 0; i < 3; i++) {
            Lease onSecond = scheduler.pick("m", 1);
            assertThat(onSecond.worker()).isSameAs(second);
            onSecond.failed();
        }
        assertThat(second.circuitState()).isEqualTo(CircuitState.OPEN);
        assertThat(scheduler.pick("m", 1)).isNull();
        assertThat(scheduler.pick("unknown", 1)).isNull();
    }

    private void fail(int times) {
        for (int i = 0; i < times; i++) {
            scheduler.pick("m", 1).failed();
        }
    }

    private void assertIdle() {
        assertThat(worker.inFlight()).isZero();
        assertThat(worker.pendingPrefillTokens()).isZero();
        assertThat(worker.decodingStreams()).isZero();
    }
}
