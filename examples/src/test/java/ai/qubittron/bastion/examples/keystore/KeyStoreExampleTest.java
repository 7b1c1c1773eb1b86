package ai.qubittron.bastion.examples.keystore;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.testing.LeakDetectionExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(LeakDetectionExtension.class)
class KeyStoreExampleTest {

    @Test
    void theDiscoveredPluginAcceptsAKeyOfItsFileAndRefusesItOnceItsLineIsGone(@TempDir Path dir) throws Exception {
        assertThat(KeyStoreExample.run(dir)).containsExactly("key in the file: 200", "line taken out of the file: 401");
    }
}
