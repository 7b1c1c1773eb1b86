package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.scheduler.SchedulerConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The builder: its defaults, its checks, and the immutable configuration it builds. */
class BuilderTest {

    @Test
    void theConfigurationHoldsEveryDefault() {
        BastionConfig config = Bastion.builder().build().config();
        assertThat(config.host()).isEqualTo(Bastion.Builder.DEFAULT_HOST);
        assertThat(config.port()).isEqualTo(Bastion.Builder.DEFAULT_PORT);
        assertThat(config.listen()).isTrue();
        assertThat(config.ioThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(config.catalog().models()).hasSize(ModelCatalog.defaults().models().size());
        assertThat(config.workers()).isEmpty();
        assertThat(config.maxRequestBytes()).isEqualTo(Bastion.Builder.DEFAULT_MAX_REQUEST_BYTES);
        assertThat(config.maxUploadBytes()).isEqualTo(Bastion.Builder.DEFAULT_MAX_UPLOAD_BYTES);
        assertThat(config.requestReadTimeout()).isEqualTo(Bastion.Builder.DEFAULT_REQUEST_READ_TIMEOUT);
        assertThat(config.clientIdleTimeout()).isEqualTo(Bastion.Builder.DEFAULT_CLIENT_IDLE_TIMEOUT);
        assertThat(config.connectTimeout()).isEqualTo(Bastion.Builder.DEFAULT_CONNECT_TIMEOUT);
        assertThat(config.upstreamIdleTimeout()).isEqualTo(Bastion.Builder.DEFAULT_UPSTREAM_IDLE_TIMEOUT);
        assertThat(config.responseHeadTimeout()).isEqualTo(Bastion.Builder.DEFAULT_RESPONSE_HEAD_TIMEOUT);
        assertThat(config.admissionTimeout()).isEqualTo(Bastion.Builder.DEFAULT_ADMISSION_TIMEOUT);
        assertThat(config.saturationWait()).isEqualTo(Bastion.Builder.DEFAULT_SATURATION_WAIT);
        assertThat(config.drainTimeout()).isEqualTo(Bastion.Builder.DEFAULT_DRAIN_TIMEOUT);
        assertThat(config.maxIdleConnectionsPerWorker()).isEqualTo(Bastion.Builder.DEFAULT_MAX_IDLE_PER_WORKER);
        assertThat(config.maxInFlightPerWorker()).isEqualTo(SchedulerConfig.DEFAULT_MAX_IN_FLIGHT_PER_WORKER);
        assertThat(config.loadProbeInterval()).isEqualTo(Bastion.Builder.DEFAULT_LOAD_PROBE_INTERVAL);
        assertThat(config.overloadWaitingRequests()).isEqualTo(Bastion.Builder.DEFAULT_OVERLOAD_WAITING_REQUESTS);
        assertThat(config.overloadKvCacheUsage()).isEqualTo(Bastion.Builder.DEFAULT_OVERLOAD_KV_CACHE_USAGE);
        assertThat(config.defaultMaxOutputTokens()).isEqualTo(Bastion.Builder.DEFAULT_MAX_OUTPUT_TOKENS);
        assertThat(config.tls()).isFalse();
        assertThat(config.httpRedirectPort()).isEqualTo(-1);
    }

    @Test
    void theConfigurationIsWhatWasSetAndCannotChangeAfterwards() {
        Bastion.Builder builder = Bastion.builder().host("0.0.0.0").port(0).listen(false).ioThreads(3)
                .worker("openai/gpt-oss-120b", URI.create("http://127.0.0.1:8001"))
                .maxRequestBytes(4096).requestReadTimeout(Duration.ofSeconds(7)).saturationWait(Duration.ZERO)
                .overloadThresholds(5, 0.5).defaultMaxOutputTokens(12);
        BastionConfig config = builder.build().config();
        builder.port(9).worker("gpt-oss-120b", URI.create("http://127.0.0.1:8002"));
        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isZero();
        assertThat(config.listen()).isFalse();
        assertThat(config.ioThreads()).isEqualTo(3);
        assertThat(config.workers()).containsOnlyKeys("gpt-oss-120b");
        assertThat(config.workers().get("gpt-oss-120b")).containsExactly(URI.create("http://127.0.0.1:8001"));
        assertThat(config.maxRequestBytes()).isEqualTo(4096);
        assertThat(config.requestReadTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(config.saturationWait()).isZero();
        assertThat(config.overloadWaitingRequests()).isEqualTo(5);
        assertThat(config.overloadKvCacheUsage()).isEqualTo(0.5);
        assertThat(config.defaultMaxOutputTokens()).isEqualTo(12);
        assertThatThrownBy(() -> config.workers().put("x", List.of())).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.workers().get("gpt-oss-120b").add(URI.create("http://x")))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void settersNameTheFieldAndTheBadValue() {
        assertThatThrownBy(() -> Bastion.builder().port(70000)).hasMessageContaining("port").hasMessageContaining("70000");
        assertThatThrownBy(() -> Bastion.builder().maxRequestBytes(10)).hasMessage("maxRequestBytes: must be >= 1024, got 10");
        assertThatThrownBy(() -> Bastion.builder().drainTimeout(Duration.ofSeconds(-1)))
                .hasMessage("drainTimeout: must be >= 0, got PT-1S");
        assertThatThrownBy(() -> Bastion.builder().overloadThresholds(0, 0.5))
                .hasMessage("overloadThresholds: waitingRequests must be >= 1, got 0");
        assertThatThrownBy(() -> Bastion.builder().worker("gpt-5", URI.create("http://127.0.0.1:8001")).build())
                .hasMessage("worker: the model 'gpt-5' is not in the catalog");
        assertThatThrownBy(() -> Bastion.builder().httpRedirectPort(8080).build())
                .hasMessageStartingWith("httpRedirectPort: only with tls");
    }
}
