package ai.qubittron.bastion.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer during it.
 *
 * <p>Installed once per JVM as Netty's {@link ResourceLeakDetectorFactory}, so every detector created
 * afterwards records its reports here instead of only logging them. It is registered automatically
 * (JUnit extension auto-detection through {@code META-INF/services}) in every module whose
 * {@code junit-platform.properties} enables auto-detection; the surefire configuration runs the
 * detector at {@code PARANOID}, so every buffer is tracked.
 *
 * <p>After each test class it collects garbage and allocates tracked buffers, which is what makes the
 * detector look at its reference queue, then fails the class if any leak was reported. Leaks from one
 * class cannot be blamed on the next: the report list is drained at the start of every class.
 *
 * <p>Thread role: JUnit calls it on the thread that runs the class; Netty's detectors record from any
 * thread. Leaks of classes run in parallel cannot be told apart.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
        if (ResourceLeakDetector.getLevel().ordinal() < ResourceLeakDetector.Level.PARANOID.ordinal()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        collectLeaks();
        LEAKS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        collectLeaks();
        if (!LEAKS.isEmpty()) {
            String report = String.join("\n\n", LEAKS);
            LEAKS.clear();
            throw new AssertionError("Netty reported leaked buffers in " + context.getDisplayName() + ":\n" + report);
        }
    }

    /** Gives the detector a chance to see buffers that became unreachable without being released. */
    static void collectLeaks() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.runFinalization();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            // Allocating a tracked buffer makes each detector poll its reference queue and report.
            ByteBuf pooledDirect = PooledByteBufAllocator.DEFAULT.directBuffer(1);
            ByteBuf pooledHeap = PooledByteBufAllocator.DEFAULT.heapBuffer(1);
            ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.buffer(1);
            pooledDirect.release();
            pooledHeap.release();
            unpooled.release();
        }
    }

    /**
     * Takes the leaks reported so far and not yet claimed by a test class; for tests of this extension.
     * Collects garbage first, so it takes a moment.
     *
     * @return the leak reports, each with its access records; empty when there was none
     */
    public static List<String> drainLeaks() {
        collectLeaks();
        List<String> leaks = List.copyOf(LEAKS);
        LEAKS.removeAll(leaks);
        return leaks;
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        // recorded, not logged: the failing test class prints the records in its failure message

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add("LEAK: " + resourceType + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK: " + resourceType + " (untraced)");
        }
    }
}
