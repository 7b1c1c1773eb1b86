package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.InMemoryAdminBackend;
import ai.qubittron.bastion.netty.admin.MetricsExposition;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics} on the admin listener: served from the hook, without the admin token, and only GET. */
class AdminMetricsEndpointTest {

    private static final String TOKEN = "admin-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
    private static SimulatedWorker worker;
    private static Bastion gateway;
    private static AdminServer admin;
    private static AdminServer adminWithoutMetrics;
    private static AdminServer adminWithFailingMetrics;
    private static String key;

    @BeforeAll
    static void start() {
        worker = SimulatedWorker.builder().port(0).build().start();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        key = keys.create(new ApiPrincipal("k", "a", ApiPrincipal.DEFAULT_TIER, Set.of()));
        gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys).discovery(false).meterRegistry(REGISTRY)
                .worker("gpt-oss-120b", URI.create(worker.baseUrl())).build().start();
        InMemoryAdminBackend backend = new InMemoryAdminBackend(keys, new InMemoryLedger(), new TierTable(),
                PriceBook.defaults(), ModelCatalog.defaults());
        // a hook of this test's own: the meters as SimpleMeterRegistry prints them
        admin = AdminServer.start("127.0.0.1", 0, TOKEN, backend,
                out -> out.write(REGISTRY.getMetersAsString().getBytes(StandardCharsets.UTF_8)));
        adminWithoutMetrics = AdminServer.start("127.0.0.1", 0, TOKEN, backend);
        adminWithFailingMetrics = AdminServer.start("127.0.0.1", 0, TOKEN, backend, out -> {
            out.write("partial".getBytes(StandardCharsets.UTF_8));
            throw new IOException("the registry is gone");
        });
    }

    @AfterAll
    static void stop() {
        adminWithFailingMetrics.close();
        adminWithoutMetrics.close();
        admin.close();
        gateway.close();
        worker.close();
    }

    @Test
    void metricsAreServedWithoutTheAdminToken() throws Exception {
        HttpResponse<String> chat = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-oss-120b\",\"max_tokens\":2,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chat.statusCode()).isEqualTo(200);

        HttpResponse<String> metrics = get(admin, "/metrics", null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type")).hasValue(MetricsExposition.PROMETHEUS_TEXT);
        assertThat(metrics.body()).contains("bastion.requests(COUNTER)[endpoint='chat.completions', model='gpt-oss-120b', "
                + "status='200']; count=1.0");
        assertThat(metrics.body()).contains("bastion.worker.in.flight(GAUGE)[model='gpt-oss-120b', worker='"
                + worker.baseUrl() + "']; value=0.0");
        // the admin token is not asked for, nor checked
        assertThat(get(admin, "/metrics?name=x", "not-the-token").statusCode()).isEqualTo(200);
    }

    @Test
    void theRestOfTheAdminApiStillNeedsTheToken() throws Exception {
        assertThat(get(admin, "/admin/v1/accounts/a", null).statusCode()).isEqualTo(401);
        assertThat(get(admin, "/metricsx", null).statusCode()).isEqualTo(401);
        assertThat(get(adminWithoutMetrics, "/metrics", null).statusCode()).isEqualTo(401);
        assertThat(get(adminWithoutMetrics, "/metrics", TOKEN).statusCode()).isEqualTo(404);
    }

    @Test
    void onlyGetIsAllowed() throws Exception {
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET");
    }

    @Test
    void aFailingExpositionIs500AndTheListenerGoesOn() throws Exception {
        HttpResponse<String> failed = get(adminWithFailingMetrics, "/metrics", null);
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.body()).doesNotContain("partial");
        assertThat(get(adminWithFailingMetrics, "/admin/v1/accounts/nobody", TOKEN).statusCode()).isEqualTo(404);
    }

    private static HttpResponse<String> get(AdminServer server, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
