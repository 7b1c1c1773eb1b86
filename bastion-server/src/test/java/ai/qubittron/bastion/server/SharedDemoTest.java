package ai.qubittron.bastion.server;

import ai.qubittron.bastion.server.config.ServerConfig;
import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.testing.LeakDetectionExtension;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two demo nodes started with {@code --redis} and {@code --postgres}: what the admin API of one does
 * (open an account, make a key, add credit, revoke the key) holds on the other.
 */
@ExtendWith(LeakDetectionExtension.class)
@Timeout(120)
class SharedDemoTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POSTGRES = System.getProperty("bastion.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    private static final String REDIS = System.getProperty("bastion.test.redis", "redis://127.0.0.1:6379");
    private static final String ADMIN_TOKEN = "shared-demo-admin-token-0123";
    private static final String SCHEMA = "bastion_test_" + UUID.randomUUID().toString().replace("-", "");
    private static final HttpClient http = HttpClient.newHttpClient();

    private static DemoGateway a;
    private static DemoGateway b;

    @BeforeAll
    static void start() throws Exception {
        try (Connection c = DriverManager.getConnection(POSTGRES); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + SCHEMA);
        }
        // the nodes take the schema from the URL, as a deployment would
        String url = POSTGRES + (POSTGRES.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA;
        SimConfig fast = SimConfig.builder().interTokenMillis(1).prefillMicrosPerToken(10).build();
        a = DemoGateway.start("127.0.0.1", 0, "qbt_shared_demo_a_0123456789", 1, fast, 1, "127.0.0.1", 0, ADMIN_TOKEN, null,
                new ServerConfig.Backends(REDIS, url));
        b = DemoGateway.start("127.0.0.1", 0, "qbt_shared_demo_b_0123456789", 1, fast, 1, "127.0.0.1", 0, ADMIN_TOKEN, null,
                new ServerConfig.Backends(REDIS, url));
    }

    @AfterAll
    static void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        try (Connection c = DriverManager.getConnection(POSTGRES); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }

    private static HttpResponse<String> admin(DemoGateway node, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.admin().port() + "/admin/v1/" + path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int chat(DemoGateway node, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.gateway().baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"hi\"}],\"max_tokens\":2}")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void whatOneNodesAdminApiDoesHoldsOnTheOther() throws Exception {
        // both nodes' demo keys work on both nodes: one account, two keys, in the shared database
        assertThat(chat(a, "qbt_shared_demo_b_0123456789")).isEqualTo(200);
        assertThat(chat(b, "qbt_shared_demo_a_0123456789")).isEqualTo(200);

        assertThat(admin(a, "POST", "accounts", "{\"id\":\"acct_team\",\"tier\":\"demo\",\"balance_micros\":5000000}")
                .statusCode()).isEqualTo(201);
        assertThat(admin(b, "POST", "accounts", "{\"id\":\"acct_team\",\"tier\":\"demo\",\"balance_micros\":1}")
                .statusCode()).isEqualTo(409);
        JsonNode created = JSON.readTree(admin(a, "POST", "accounts/acct_team/keys", null).body());
        String key = created.get("key").asText();
        assertThat(chat(b, key)).isEqualTo(200);

        JsonNode credited = JSON.readTree(admin(b, "POST", "accounts/acct_team/credit", "{\"amount_micros\":1000}").body());
        JsonNode seenByA = JSON.readTree(admin(a, "GET", "accounts/acct_team", null).body());
        assertThat(seenByA.get("balance_micros").asLong()).isEqualTo(credited.get("balance_micros").asLong());
        assertThat(seenByA.get("spent_micros").asLong()).isPositive();

        // revoked on A: refused on B too (its key cache is told through Redis)
        assertThat(admin(a, "DELETE", "keys/" + created.get("id").asText(), null).statusCode()).isEqualTo(204);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int status = 200;
        while (status == 200 && System.nanoTime() < deadline) {
            status = chat(b, key);
        }
        assertThat(status).isEqualTo(401);
        assertThat(chat(a, key)).isEqualTo(401);
    }

    @Test
    void theReadsListTheSharedStoresAndEachNodesOwnTraffic() throws Exception {
        assertThat(admin(a, "POST", "accounts", "{\"id\":\"acct_reads\",\"tier\":\"demo\",\"balance_micros\":5000000}")
                .statusCode()).isEqualTo(201);
        JsonNode created = JSON.readTree(admin(a, "POST", "accounts/acct_reads/keys", null).body());
        String key = created.get("key").asText();
        String keyId = created.get("id").asText();
        long before = System.currentTimeMillis() / 1000;
        assertThat(chat(b, key)).isEqualTo(200);
        assertThat(chat(b, key)).isEqualTo(200);

        // the settlements are the database's, made after the answers: wait until neither holds credit
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (JSON.readTree(admin(a, "GET", "accounts/acct_reads", null).body()).get("reserved_micros").asLong() > 0
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        // the accounts and keys are the database's: either node lists them
        JsonNode accounts = JSON.readTree(admin(b, "GET", "accounts", null).body()).get("data");
        JsonNode account = null;
        String previous = "";
        for (JsonNode item : accounts) {
            assertThat(item.get("id").asText()).isGreaterThan(previous);
            previous = item.get("id").asText();
            if (previous.equals("acct_reads")) {
                account = item;
            }
        }
        assertThat(account).isNotNull();
        assertThat(account.get("tier").asText()).isEqualTo("demo");
        long spent = account.get("spent_micros").asLong();
        assertThat(spent).isPositive();

        JsonNode onA = JSON.readTree(admin(a, "GET", "accounts/acct_reads/keys", null).body()).get("data").get(0);
        JsonNode onB = JSON.readTree(admin(b, "GET", "accounts/acct_reads/keys", null).body()).get("data").get(0);
        assertThat(onA.get("id").asText()).isEqualTo(keyId);
        assertThat(onA.get("prefix").asText()).isEqualTo(key.substring(0, 12));
        // the last use is each node's own: B served the key, A never did
        assertThat(onA.get("last_used_at").isNull()).isTrue();
        assertThat(onB.get("last_used_at").asLong()).isGreaterThanOrEqualTo(before);
        assertThat(admin(a, "GET", "accounts/nobody/keys", null).statusCode()).isEqualTo(404);

        // so is the usage: B's answer sums to what the ledger charged, A has none of it
        // (recorded as the database answers each settlement, a moment after its commit)
        long usageSpent = 0;
        long requests = 0;
        while (requests < 2 && System.nanoTime() < deadline) {
            usageSpent = 0;
            requests = 0;
            for (JsonNode row : JSON.readTree(admin(b, "GET", "usage?minutes=5", null).body()).get("data")) {
                if (row.get("key_id").asText().equals(keyId)) {
                    usageSpent += row.get("spent_micros").asLong();
                    requests += row.get("requests").asLong();
                }
            }
            if (requests < 2) {
                Thread.sleep(20);
            }
        }
        assertThat(requests).isEqualTo(2);
        assertThat(usageSpent).isEqualTo(spent);
        assertThat(admin(a, "GET", "usage", null).body()).doesNotContain(keyId);
        assertThat(JSON.readTree(admin(a, "GET", "workers", null).body()).get("data")).isNotEmpty();

        assertThat(admin(a, "DELETE", "keys/" + keyId, null).statusCode()).isEqualTo(204);
        JsonNode revoked = JSON.readTree(admin(b, "GET", "keys", null).body()).get("data");
        boolean seen = false;
        for (JsonNode item : revoked) {
            if (item.get("id").asText().equals(keyId)) {
                assertThat(item.get("revoked_at").asLong()).isGreaterThanOrEqualTo(before);
                seen = true;
            }
            assertThat(item.toString()).doesNotContain(key);
        }
        assertThat(seen).isTrue();
    }
}
