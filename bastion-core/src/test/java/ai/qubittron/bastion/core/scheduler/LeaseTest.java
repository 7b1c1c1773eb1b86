package ai.qubittron.bastion.core.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaseTest {

    private final FakeNanoClock clock = new FakeNanoClock();
    private final Scheduler scheduler = new Scheduler(SchedulerConfig.builder().failureThreshold(1_000_000).build(), clock);
    private final WorkerState worker = scheduler.addWorker("m", "w", "endpoint");
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void reservesCountersAtPickAndMovesThemOnFirstToken() {
        Lease lease = scheduler.pick("m", 100);
        assertThat(lease.endpoint()).isEqualTo("endpoint");
        assertThat(worker.inFlight()).isEqualTo(1);
        assertThat(worker.pendingPrefillTokens()).isEqualTo(100);
        assertThat(worker.decodingStreams()).isZero();

        lease.firstToken(clock.advance(Duration.ofMillis(50)));
        assertThat(worker.inFlight()).isEqualTo(1);
        assertThat(worker.pendingPrefillTokens()).isZero();
        assertThat(worker.decodingStreams()).isEqualTo(1);

        lease.succeeded(clock.getAsLong());
        assertIdle();
    }

    @Test
    void releasesExactlyOnceInEverySequence() {
        List<Consumer<Lease>> sequences = List.of(
                l -> l.succeeded(clock.getAsLong()),
                Lease::failed,
                Lease::close,
                l -> { l.close(); l.close(); },
                l -> { l.firstToken(clock.getAsLong()); l.succeeded(clock.getAsLong()); },
                l -> { l.firstToken(clock.getAsLong()); l.token(clock.getAsLong()); l.failed(); },
                l -> { l.firstToken(clock.getAsLong()); l.close(); l.close(); },
                l -> { l.succeeded(clock.getAsLong()); l.failed(); l.close(); },
                l -> { l.failed(); l.succeeded(clock.getAsLong()); l.firstToken(clock.getAsLong()); },
                l -> { l.close(); l.firstToken(clock.getAsLong()); l.token(clock.getAsLong()); l.close(); },
                l -> { l.firstToken(clock.getAsLong()); l.firstToken(clock.getAsLong()); l.close(); });
        for (Consumer<Lease> sequence : sequences) {
            Lease other = scheduler.pick("m", 7); // a bystander must keep its share
            Lease lease = scheduler.pick("m", 100);
            sequence.accept(lease);
            assertThat(lease.released()).isTrue();
            assertThat(worker.inFlight()).isEqualTo(1);
            assertThat(worker.pendingPrefillTokens()).isEqualTo(7);
            assertThat(worker.decodingStreams()).isZero();
            other.close();
            assertIdle();
        }
    }

    @Test
    void concurrentCloseFromEightThreadsReleasesOnce() throws Exception {
        for (int round = 0; round < 200; round++) {
            Lease lease = scheduler.pick("m", 100);
            if (round % 2 == 1) {
                lease.firstToken(clock.getAsLong());
            }
            race(8, i -> {
                switch (i % 4) {
                    case 0: lease.close(); break;
                    case 1: lease.failed(); break;
                    case 2: lease.succeeded(clock.getAsLong()); break;
                    default: lease.close(); lease.close(); break;
                }
            });
            assertIdle();
        }
    }

    @Test
    void concurrentFirstTokenAndCloseEndAtZero() throws Exception {
        for (int round = 0; round < 200; round++) {
            Lease lease = scheduler.pick("m", 100);
            race(8, i -> {
                if (i % 2 == 0) {
                    lease.firstToken(clock.getAsLong());
                } else {
                    lease.close();
                }
            });
            assertIdle();
        }
    }

    @Test
    void manyLeasesFromManyThreadsAllReturn() throws Exception {
        race(8, i -> {
            for (int k = 0; k < 2_000; k++) {
                Lease lease = scheduler.pick("m", k % 50);
                if (k % 3 == 0) {
                    lease.firstToken(clock.getAsLong());
                }
                if (k % 2 == 0) {
                    lease.succeeded(clock.getAsLong());
                }
                lease.close();
            }
        });
        assertIdle();
    }

    private void race(int threads, IntConsumer body) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int id = i;
            futures.add(pool.submit(() -> {
                start.await();
                body.accept(id);
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    private void assertIdle() {
        assertThat(worker.inFlight()).isZero();
        assertThat(worker.pendingPrefillTokens()).isZero();
        assertThat(worker.decodingStreams()).isZero();
    }

    @FunctionalInterface
    private interface IntConsumer {
        void accept(int i) throws Exception;
    }
}
