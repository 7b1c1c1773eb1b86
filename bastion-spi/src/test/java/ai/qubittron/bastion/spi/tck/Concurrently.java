package ai.qubittron.bastion.spi.tck;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/** Runs a task on several threads released together by a start gate, and awaits stages with a timeout. */
final class Concurrently {

    static final long TIMEOUT_SECONDS = 10;

    private Concurrently() {
    }

    /**
     * Runs {@code task.accept(threadIndex)} on {@code threads} new threads that all start at once, waits
     * for them, and rethrows the first failure.
     */
    static void run(int threads, IntConsumer task) {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread worker = new Thread(() -> {
                ready.countDown();
                try {
                    start.await();
                    task.accept(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "tck-worker-" + t);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        try {
            if (!ready.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("workers did not start");
            }
            start.countDown();
            for (Thread worker : workers) {
                worker.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
                if (worker.isAlive()) {
                    throw new AssertionError(worker.getName() + " did not finish within " + TIMEOUT_SECONDS + " s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        Throwable first = failure.get();
        if (first instanceof Error error) {
            throw error;
        }
        if (first != null) {
            throw new AssertionError("a worker failed", first);
        }
    }

    /** The value of a stage, waiting at most {@link #TIMEOUT_SECONDS}; a failed stage fails the test. */
    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("the stage failed", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the stage did not complete within " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
