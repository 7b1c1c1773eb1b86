package ai.qubittron.bastion.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SpiLoaderTest {

    private final ClassLoader loader = SpiLoaderTest.class.getClassLoader();
    private final Logger logger = Logger.getLogger(SpiLoader.class.getName());
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private boolean useParentHandlers;

    @BeforeEach
    void captureLog() {
        useParentHandlers = logger.getUseParentHandlers();
        logger.setUseParentHandlers(false);
        logger.addHandler(capture);
    }

    @AfterEach
    void restoreLog() {
        logger.removeHandler(capture);
        logger.setUseParentHandlers(useParentHandlers);
    }

    @Test
    void theHighestPriorityProviderWinsAndBrokenOnesAreSkippedWithAWarning() {
        assertThat(SpiLoader.load(TestProviders.Greeter.class, loader))
                .containsInstanceOf(TestProviders.PreferredGreeter.class);

        assertThat(logged).hasSize(2).allSatisfy(record -> {
            assertThat(record.getLevel()).isEqualTo(Level.WARNING);
            assertThat(record.getMessage()).contains(TestProviders.Greeter.class.getName());
        });
        assertThat(logged).anySatisfy(record -> assertThat(record.getThrown()).hasStackTraceContaining("BrokenGreeter refuses"));
        assertThat(logged).anySatisfy(record -> assertThat(record.getThrown()).hasStackTraceContaining("NoSuchGreeter"));
    }

    @Test
    void aTieGoesToTheClassNameThatSortsFirst() {
        assertThat(SpiLoader.load(TestProviders.Codec.class, loader))
                .containsInstanceOf(TestProviders.AlphaCodec.class);
        assertThat(logged).isEmpty();
    }

    @Test
    void aProviderThatIsNotPrioritizedCountsAsZero() {
        assertThat(SpiLoader.load(TestProviders.Store.class, loader))
                .containsInstanceOf(TestProviders.PlainStore.class);
    }

    @Test
    void noProviderGivesEmpty() {
        assertThat(SpiLoader.load(TestProviders.Unregistered.class, loader)).isEmpty();
        assertThat(logged).isEmpty();
    }

    @Test
    void prioritizedDefaultsToZero() {
        assertThat(new Prioritized() { }.priority()).isZero().isEqualTo(Prioritized.DEFAULT_PRIORITY);
    }
}
