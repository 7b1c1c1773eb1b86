package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SimConfigTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        SimConfig c = SimConfig.defaults();
        assertThat(c.overheadMillis()).isEqualTo(5);
        assertThat(c.prefillMicrosPerToken()).isEqualTo(100);
        assertThat(c.interTokenMillis()).isEqualTo(10);
        assertThat(c.maxRunning()).isEqualTo(64);
        assertThat(c.slowdownPerRunning()).isEqualTo(0.01);
        assertThat(c.defaultMaxTokens()).isEqualTo(64);
        assertThat(c.kvCacheTokens()).isEqualTo(65_536);
        assertThat(c.transcriptionMicrosPerAudioSecond()).isEqualTo(1_000);
        assertThat(c.speechMicrosPerAudioSecond()).isEqualTo(4_000);
        assertThat(SimConfig.builder().build()).isEqualTo(c);
    }

    @Test
    void timingFollowsTheFormulas() {
        SimConfig c = SimConfig.builder().overheadMillis(5).prefillMicrosPerToken(100).interTokenMillis(10)
                .slowdownPerRunning(0.01).build();
        assertThat(c.timeToFirstTokenNanos(1_000)).isEqualTo(5_000_000L + 100_000_000L);
        assertThat(c.interTokenNanos(1)).isEqualTo(10_000_000L);
        assertThat(c.interTokenNanos(11)).isEqualTo(11_000_000L);
        assertThat(SimConfig.builder().interTokenMillis(0).build().interTokenNanos(50)).isZero();
    }

    @Test
    void audioTimingFollowsTheFormulas() {
        SimConfig c = SimConfig.builder().overheadMillis(5).transcriptionMicrosPerAudioSecond(1_000)
                .speechMicrosPerAudioSecond(4_000).build();
        // 30 s of audio at 1 ms an audio second, after the overhead
        assertThat(c.transcriptionNanos(30_000)).isEqualTo(5_000_000L + 30_000_000L);
        // a 250 ms chunk at 4 ms an audio second
        assertThat(c.speechNanos(250)).isEqualTo(1_000_000L);
        assertThat(SimConfig.builder().overheadMillis(0).transcriptionMicrosPerAudioSecond(0).build()
                .transcriptionNanos(60_000)).isZero();
    }

    @Test
    void settersRejectBadValuesNamingTheField() {
        assertThatThrownBy(() -> SimConfig.builder().overheadMillis(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overheadMillis").hasMessageContaining("-1");
        assertThatThrownBy(() -> SimConfig.builder().prefillMicrosPerToken(-5)).hasMessageContaining("prefillMicrosPerToken");
        assertThatThrownBy(() -> SimConfig.builder().interTokenMillis(-1)).hasMessageContaining("interTokenMillis");
        assertThatThrownBy(() -> SimConfig.builder().maxRunning(0)).hasMessageContaining("maxRunning");
        assertThatThrownBy(() -> SimConfig.builder().slowdownPerRunning(Double.NaN)).hasMessageContaining("slowdownPerRunning");
        assertThatThrownBy(() -> SimConfig.builder().slowdownPerRunning(-0.1)).hasMessageContaining("slowdownPerRunning");
        assertThatThrownBy(() -> SimConfig.builder().defaultMaxTokens(0)).hasMessageContaining("defaultMaxTokens");
        assertThatThrownBy(() -> SimConfig.builder().kvCacheTokens(0)).hasMessageContaining("kvCacheTokens");
        assertThatThrownBy(() -> SimConfig.builder().transcriptionMicrosPerAudioSecond(-1))
                .hasMessageContaining("transcriptionMicrosPerAudioSecond").hasMessageContaining("-1");
        assertThatThrownBy(() -> SimConfig.builder().speechMicrosPerAudioSecond(-1))
                .hasMessageContaining("speechMicrosPerAudioSecond");
    }

    @Test
    void toBuilderKeepsEveryField() {
        SimConfig c = SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(2).interTokenMillis(3).maxRunning(4)
                .slowdownPerRunning(0.5).defaultMaxTokens(6).kvCacheTokens(7).transcriptionMicrosPerAudioSecond(8)
                .speechMicrosPerAudioSecond(9).build();
        assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
    }

    @Test
    void faultsValidateAndDefaultToNone() {
        assertThat(SimFaults.NONE.errorRate()).isZero();
        assertThat(SimFaults.NONE.closeAfterChunks()).isEqualTo(-1);
        assertThat(SimFaults.builder().build()).isEqualTo(SimFaults.NONE);
        assertThatThrownBy(() -> SimFaults.builder().errorRate(1.5)).hasMessageContaining("errorRate");
        assertThatThrownBy(() -> SimFaults.builder().errorRate(Double.NaN)).hasMessageContaining("errorRate");
        assertThatThrownBy(() -> SimFaults.builder().closeAfterChunks(-2)).hasMessageContaining("closeAfterChunks");
        SimFaults f = SimFaults.builder().errorRate(0.25).closeAfterChunks(3).build();
        assertThat(f.toBuilder().build()).isEqualTo(f);
    }

    @Test
    void workerBuilderValidates() {
        assertThatThrownBy(() -> SimulatedWorker.builder().port(70_000)).hasMessageContaining("port");
        assertThatThrownBy(() -> SimulatedWorker.builder().models(List.of())).hasMessageContaining("models");
        assertThatThrownBy(() -> SimulatedWorker.builder().models("a", "a")).hasMessageContaining("duplicates");
        assertThatThrownBy(() -> SimulatedWorker.builder().models("a", " ")).hasMessageContaining("blank");
        assertThatThrownBy(() -> SimulatedWorker.builder().eventLoopThreads(0)).hasMessageContaining("eventLoopThreads");
        assertThatThrownBy(() -> SimulatedWorker.builder().host("")).hasMessageContaining("host");
        assertThatThrownBy(() -> SimulatedWorker.builder().build().port()).isInstanceOf(IllegalStateException.class);
    }
}
