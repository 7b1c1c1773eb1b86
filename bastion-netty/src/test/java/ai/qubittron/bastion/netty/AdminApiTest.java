package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.limit.InMemoryRateLimiter;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.InMemoryAdminBackend;
import ai.qubittron.bastion.sim.SimulatedWorker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin API manages what the data plane enforces: each change shows on the next request. */
class AdminApiTest {

    private static final String TOKEN = "admin-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static SimulatedWorker worker;
    private static Bastion gateway;
    private static AdminServer admin;
    private static InMemoryLedger ledger;

    @BeforeAll
    static void start() {
        worker = SimulatedWorker.builder().port(0).build().start();
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        ledger = new InMemoryLedger();
        TierTable tiers = new TierTable();
        PriceBook prices = new PriceBook(new ModelPrice(1_000_000, 1_000_000));
        gateway = Bastion.builder().port(0).ioThreads(1).keyStore(keys).discovery(false)
                .rateLimiter(new InMemoryRateLimiter()).ledger(ledger).tiers(tiers).prices(prices)
                .worker("gpt-oss-120b", URI.create(worker.baseUrl())).build().start();
        admin = AdminServer.start("127.0.0.1", 0, TOKEN,
                new InMemoryAdminBackend(keys, ledger, tiers, prices, ModelCatalog.defaults()));
    }

    @AfterAll
    static void stop() {
        admin.close();
        gateway.close();
        worker.close();
    }

    @Test
    void anAccountItsKeyCreditAndRevocation() throws Exception {
        HttpResponse<String> created = admin("POST", "/admin/v1/accounts", "{\"id\":\"acme\",\"tier\":\"free\",\"balance_micros\":5}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.body()).isEqualTo("{\"id\":\"acme\",\"tier\":\"free\",\"balance_micros\":5,\"reserved_micros\":0,\"spent_micros\":0}");
        assertThat(admin("POST", "/admin/v1/accounts", "{\"id\":\"acme\"}").statusCode()).isEqualTo(409);

        JsonNode key = JSON.readTree(admin("POST", "/admin/v1/accounts/acme/keys", "").body());
        assertThat(key.get("key").asText()).startsWith("qbt_");
        assertThat(key.get("id").asText()).startsWith("key_");

        // 5 micro-units cannot cover the worst case of a request
        assertThat(chat(key.get("key").asText()).statusCode()).isEqualTo(402);
        assertThat(admin("POST", "/admin/v1/accounts/acme/credit", "{\"amount_micros\":1000000}").statusCode()).isEqualTo(200);
        HttpResponse<String> paid = chat(key.get("key").asText());
        assertThat(paid.statusCode()).isEqualTo(200);

        JsonNode usage = JSON.readTree(paid.body()).get("usage");
        JsonNode account = JSON.readTree(admin("GET", "/admin/v1/accounts/acme", null).body());
        assertThat(account.get("spent_micros").asLong()).isEqualTo(usage.get("total_tokens").asLong());
        assertThat(account.get("reserved_micros").asLong()).isZero();
        assertThat(account.get("balance_micros").asLong()).isEqualTo(1_000_005 - usage.get("total_tokens").asLong());

        assertThat(admin("DELETE", "/admin/v1/keys/" + key.get("id").asText(), null).statusCode()).isEqualTo(204);
        assertThat(chat(key.get("key").asText()).statusCode()).isEqualTo(401);
        assertThat(admin("DELETE", "/admin/v1/keys/" + key.get("id").asText(), null).statusCode()).isEqualTo(404);
    }

    @Test
    void tiersAndPricesApplyToTheNextRequest() throws Exception {
        admin("POST", "/admin/v1/accounts", "{\"id\":\"tiny\",\"tier\":\"one-a-minute\",\"balance_micros\":100000000}");
        assertThat(admin("PUT", "/admin/v1/tiers/one-a-minute", "{\"requests_per_minute\":1,\"tokens_per_minute\":100000}")
                .statusCode()).isEqualTo(200);
        String key = JSON.readTree(admin("POST", "/admin/v1/accounts/tiny/keys", "").body()).get("key").asText();
        assertThat(chat(key).statusCode()).isEqualTo(200);
        HttpResponse<String> limited = chat(key);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).isPresent();

        HttpResponse<String> price = admin("PUT", "/admin/v1/prices/openai/gpt-oss-120b",
                "{\"input_per_million_micros\":2000000,\"output_per_million_micros\":3000000}");
        assertThat(price.body()).isEqualTo("{\"model\":\"gpt-oss-120b\",\"input_per_million_micros\":2000000,"
                + "\"output_per_million_micros\":3000000}");
        assertThat(admin("PUT", "/admin/v1/prices/gpt-9", "{\"input_per_million_micros\":1,\"output_per_million_micros\":1}")
                .statusCode()).isEqualTo(404);
        admin("PUT", "/admin/v1/prices/gpt-oss-120b", "{\"input_per_million_micros\":1000000,\"output_per_million_micros\":1000000}");
    }

    @Test
    void badInputIs400AndAWrongTokenIs401() throws Exception {
        assertThat(admin("POST", "/admin/v1/accounts", "{\"id\":\"x\",\"balance_micros\":-1}").statusCode()).isEqualTo(400);
        assertThat(admin("POST", "/admin/v1/accounts", "{\"id\":\"x\",\"balance_micros\":\"lots\"}").body())
                .contains("balance_micros: an integer is required");
        assertThat(admin("POST", "/admin/v1/accounts", "{nope").statusCode()).isEqualTo(400);
        assertThat(admin("POST", "/admin/v1/accounts", "{\"id\":\"a b\"}").statusCode()).isEqualTo(400);
        assertThat(admin("PUT", "/admin/v1/tiers/t", "{\"requests_per_minute\":1}").statusCode()).isEqualTo(400);
        assertThat(admin("POST", "/admin/v1/accounts/nobody/credit", "{\"amount_micros\":1}").statusCode()).isEqualTo(404);
        assertThat(admin("GET", "/admin/v1/nothing", null).statusCode()).isEqualTo(404);
        HttpResponse<String> wrong = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/admin/v1/accounts/acme"))
                .header("Authorization", "Bearer not-the-token").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("\"code\":\"invalid_api_key\"");
    }

    private static HttpResponse<String> admin(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> chat(String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-oss-120b\",\"max_tokens\":4,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    }
}
