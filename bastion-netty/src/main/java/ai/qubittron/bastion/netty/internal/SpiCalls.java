package ai.qubittron.bastion.netty.internal;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Calling the SPI (key store, rate limiter, ledger) from an event loop: a throw becomes a failed stage,
 * the wait is bounded, and the answer is handled back on the loop (at once when the stage is already
 * complete, as the in-memory implementations' are).
 */
final class SpiCalls {

    private SpiCalls() {
    }

    /** Calls an SPI method; a throw becomes a failed future. */
    static <T> CompletableFuture<T> call(Supplier<CompletionStage<T>> call) {
        try {
            return call.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Waits for {@code future} at most {@code timeoutMillis}, on a copy: the original keeps its own outcome. */
    static <T> CompletableFuture<T> bounded(CompletableFuture<T> future, long timeoutMillis) {
        return future.isDone() ? future : future.copy().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs {@code then} with the value or the failure's cause once the future completes: at once if it has,
     * else on {@code loop}.
     */
    static <T> void onLoop(EventExecutor loop, CompletableFuture<T> future, BiConsumer<T, Throwable> then) {
        if (future.isDone()) {
            complete(future, then);
        } else {
            future.whenComplete((v, e) -> loop.execute(() -> complete(future, then)));
        }
    }

    private static <T> void complete(CompletableFuture<T> future, BiConsumer<T, Throwable> then) {
        T value;
        try {
            value = future.join();
        } catch (CompletionException | CancellationException e) {
            then.accept(null, e.getCause() != null ? e.getCause() : e);
            return;
        }
        then.accept(value, null);
    }
}
