package ai.qubittron.bastion.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a configuration: every value it takes, and an error naming the line, the key and why for each it refuses. */
class ServerConfigReaderTest {

    private static final Map<String, String> ENV = Map.of("ADMIN_TOKEN", "admin-token-from-env-0123");
    private static final String MINIMAL = "admin: {enabled: false}\nworkers:\n  - url: http://gpu-1:8000\n";

    @TempDir
    Path dir;

    private ServerConfig read(String yaml, String... overrides) throws Exception {
        Path file = dir.resolve("bastion.yaml");
        Files.writeString(file, yaml);
        return ServerConfigReader.load(file, List.of(overrides), ENV::get);
    }

    private void refused(String yaml, String message) {
        assertThatThrownBy(() -> read(yaml)).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void aFullConfigurationIsReadWithItsTypes() throws Exception {
        ServerConfig config = read("""
                listener: {host: 0.0.0.0, port: 9000, io_threads: 3}
                admin:
                  port: 9001
                  token: ${ADMIN_TOKEN}
                gateway:
                  max_request_bytes: 8MiB
                  request_read_timeout: 250ms
                  drain_timeout: 2m
                  overload_kv_cache_usage: 0.9
                  max_in_flight_per_worker: 32
                models:
                  - gpt-oss-120b
                  - id: my-model
                    endpoints: [chat.completions, audio.speech]
                    aliases: [org/my-model]
                    upstream_name: served-name
                prices:
                  my-model: {input_per_million_micros: 1, output_per_million_micros: 2}
                tiers:
                  free: {requests_per_minute: 10, tokens_per_minute: 1000}
                workers:
                  - url: http://gpu-1:8000
                    models: [openai/gpt-oss-120b]
                  - url: https://gpu-2:8443/base
                simulated_workers:
                  - {count: 2, models: [my-model], inter_token_millis: 3}
                backends: {redis: "redis://127.0.0.1:6379"}
                accounts:
                  - id: acme
                    tier: free
                    balance_micros: 5000
                    keys:
                      - {id: key_1, sha256: %s, models: [org/my-model]}
                """.formatted(ApiKeyHash.of("qbt_secret_0123456789").toHex()));
        assertThat(config.listener()).isEqualTo(new ServerConfig.Listener("0.0.0.0", 9000, 3));
        assertThat(config.admin().token()).isEqualTo("admin-token-from-env-0123");
        assertThat(config.admin().toString()).doesNotContain("admin-token-from-env");
        assertThat(config.gateway().values()).containsEntry("max_request_bytes", 8L << 20)
                .containsEntry("request_read_timeout", Duration.ofMillis(250))
                .containsEntry("drain_timeout", Duration.ofMinutes(2))
                .containsEntry("overload_kv_cache_usage", 0.9)
                .containsEntry("max_in_flight_per_worker", 32L);
        assertThat(config.catalog().models()).hasSize(2);
        assertThat(config.catalog().find("org/my-model").upstreamName()).isEqualTo("served-name");
        assertThat(config.catalog().find("my-model").endpoints())
                .containsExactlyInAnyOrder(Endpoint.CHAT_COMPLETIONS, Endpoint.TEXT_TO_SPEECH);
        assertThat(config.catalog().find("openai/gpt-oss-120b").id()).isEqualTo("gpt-oss-120b");
        assertThat(config.prices()).containsEntry("my-model", new ModelPrice(1, 2))
                .containsEntry("gpt-oss-120b", new ModelPrice(150_000, 600_000));
        assertThat(config.tiers()).containsEntry("free", new RateLimits(10, 1000)).containsKey("default");
        assertThat(config.workers()).containsExactly(
                new ServerConfig.Worker(URI.create("http://gpu-1:8000"), List.of("gpt-oss-120b")),
                new ServerConfig.Worker(URI.create("https://gpu-2:8443/base"), List.of("gpt-oss-120b", "my-model")));
        assertThat(config.simulated()).singleElement().satisfies(s -> {
            assertThat(s.count()).isEqualTo(2);
            assertThat(s.models()).containsExactly("my-model");
            assertThat(s.speed().interTokenMillis()).isEqualTo(3);
        });
        assertThat(config.backends().redisUri()).isEqualTo("redis://127.0.0.1:6379");
        assertThat(config.accounts()).singleElement().satisfies(a -> {
            assertThat(a.tier()).isEqualTo("free");
            assertThat(a.balanceMicros()).isEqualTo(5000);
            assertThat(a.keys()).singleElement().satisfies(k -> {
                assertThat(k.hash()).isEqualTo(ApiKeyHash.of("qbt_secret_0123456789"));
                assertThat(k.models()).containsExactly("my-model");
            });
        });
    }

    @Test
    void aMinimalConfigurationKeepsEveryDefault() throws Exception {
        ServerConfig config = read(MINIMAL);
        assertThat(config.listener()).isEqualTo(new ServerConfig.Listener("127.0.0.1", 8080, null));
        assertThat(config.tls()).isNull();
        assertThat(config.gateway().values()).isEmpty();
        assertThat(config.catalog().models()).hasSize(14);
        assertThat(config.workers().get(0).models()).hasSize(14);
        assertThat(config.backends()).isEqualTo(ServerConfig.Backends.IN_MEMORY);
    }

    @Test
    void jsonIsReadToo() throws Exception {
        Path file = dir.resolve("bastion.json");
        Files.writeString(file, "{\"admin\": {\"enabled\": false},\n \"workers\": [{\"url\": \"http://gpu-1:8000\", "
                + "\"models\": [\"nope\"]}]}");
        assertThatThrownBy(() -> ServerConfigReader.load(file, List.of(), ENV::get))
                .hasMessage("bastion.json:2: workers[0].models[0]: not a model of the catalog: " + List.of(
                        "gpt-oss-120b", "gpt-oss-20b", "Llama-3.1-8B-Instruct", "Meta-Llama-3_3-70B-Instruct", "Qwen3-32B",
                        "Mistral-7B-Instruct-v0.3", "Mistral-Small-3.2-24B-Instruct-2506", "Mistral-Nemo-Instruct-2407",
                        "Qwen3-Coder-30B-A3B-Instruct", "Qwen2.5-VL-72B-Instruct", "Qwen3Guard-Gen-8B",
                        "Qwen3Guard-Gen-0.6B", "whisper-large-v3", "Kokoro-82M"));
    }

    @Test
    void overridesGoOverTheFileInOrder() throws Exception {
        ServerConfig config = read(MINIMAL, "listener.port=9090", "listener.port=9091", "gateway.saturation_wait=0",
                "workers[1]={url: 'http://gpu-2:8000', models: [Kokoro-82M]}", "workers[0].models=[gpt-oss-20b]",
                "backends.postgres=jdbc:postgresql://db:5432/bastion?user=bastion");
        assertThat(config.listener().port()).isEqualTo(9091);
        assertThat(config.gateway().values()).containsEntry("saturation_wait", Duration.ZERO);
        assertThat(config.workers()).extracting(ServerConfig.Worker::models)
                .containsExactly(List.of("gpt-oss-20b"), List.of("Kokoro-82M"));
        assertThat(config.backends().postgresUrl()).isEqualTo("jdbc:postgresql://db:5432/bastion?user=bastion");
        assertThat(config.backends().toString()).doesNotContain("user=bastion");
    }

    @Test
    void aBadOverrideNamesItsFlag() {
        assertThatThrownBy(() -> read(MINIMAL, "listener.port=eighty"))
                .hasMessage("--set listener.port: listener.port: must be a whole number, got the string 'eighty'");
        assertThatThrownBy(() -> read(MINIMAL, "workers[5].url=http://x:1"))
                .hasMessage("--set workers[5].url: workers[5]: the list has 1 items: [1] appends one, further is out of range");
        assertThatThrownBy(() -> read(MINIMAL, "Listener.Port=1"))
                .hasMessage("--set Listener.Port: Listener.Port: not a key path (lower-case names joined by dots, [n] for a list item)");
        assertThatThrownBy(() -> read(MINIMAL, "listener")).hasMessage("--set: expected key.path=value, got 'listener'");
        assertThatThrownBy(() -> read(MINIMAL, "admin.enabled.x=1"))
                .hasMessage("bastion.yaml:1: admin.enabled: is false, so --set admin.enabled.x cannot set a key in it");
    }

    @Test
    void eachMistakeIsRefusedWithItsLineKeyAndReason() {
        refused("listner: {port: 1}\n" + MINIMAL, "bastion.yaml:1: listner: unknown key (did you mean listener?); "
                + "the keys here are: listener, tls, admin, gateway, models, default_price, prices, tiers, workers, "
                + "simulated_workers, backends, accounts");
        refused(MINIMAL + "listener:\n  port: 70000\n", "bastion.yaml:5: listener.port: must be between 0 and 65535, got 70000");
        refused(MINIMAL + "listener:\n  port: '80'\n", "bastion.yaml:5: listener.port: must be a whole number, got the string '80'");
        refused(MINIMAL + "gateway:\n  connect_timeout: 5\n",
                "bastion.yaml:5: gateway.connect_timeout: must be a duration with its unit (250ms, 60s, 5m, 1h), got 5");
        refused(MINIMAL + "gateway:\n  max_request_bytes: 100\n",
                "bastion.yaml:5: gateway.max_request_bytes: must be >= 1024, got 100");
        refused(MINIMAL + "gateway:\n  max_request_bytes: 3GiB\n",
                "bastion.yaml:5: gateway.max_request_bytes: must be between 1 and 2147483647 bytes, got 3GiB");
        refused(MINIMAL + "gateway:\n  drain_timout: 5s\n",
                "bastion.yaml:5: gateway.drain_timout: unknown key (did you mean drain_timeout?); the keys here are: "
                        + String.join(", ", GatewaySettings.SETTINGS.stream().map(GatewaySettings.Setting::key).toList()));
        refused("admin: {enabled: false}\nworkers:\n  - url: ftp://gpu-1\n",
                "bastion.yaml:3: workers[0].url: must be an http or https URL with a host, got 'ftp://gpu-1'");
        refused("admin: {enabled: false}\nworkers:\n  - url: http://gpu-1:8000\n  - url: http://gpu-1:8000\n",
                "bastion.yaml:4: workers[1].url: listed twice: give one worker its models in one entry");
        refused("admin: {enabled: false}\nworkers:\n  - models: [gpt-oss-120b]\n", "bastion.yaml:3: workers[0].url: required");
        refused("admin: {enabled: false}\n", "bastion.yaml:1: workers: no worker: list the GPU workers under workers "
                + "(or simulated ones under simulated_workers)");
        refused(MINIMAL + "listener: {port: 1}\nlistener: {port: 2}\n", "bastion.yaml:5: listener: written twice in one mapping");
        refused(MINIMAL + "accounts:\n  - {id: acme, tier: gold}\n",
                "bastion.yaml:5: accounts[0].tier: not a tier: [default]");
        refused(MINIMAL + "accounts:\n  - id: acme\n    keys:\n      - {id: k1, sha256: qbt_plaintext}\n",
                "bastion.yaml:7: accounts[0].keys[0].sha256: must be the key's SHA-256 as 64 hex digits "
                        + "(printf %s \"$KEY\" | sha256sum), never the key itself");
        refused(MINIMAL + "accounts:\n  - {id: a}\n  - {id: a}\n", "bastion.yaml:6: accounts[1].id: a second account with this id");
        refused(MINIMAL + "tiers:\n  free: {requests_per_minute: 10}\n",
                "bastion.yaml:5: tiers.free: needs requests_per_minute and tokens_per_minute");
        refused(MINIMAL + "prices:\n  gpt-5: {input_per_million_micros: 1, output_per_million_micros: 1}\n",
                "bastion.yaml:5: prices.gpt-5: not a model of the catalog");
        refused(MINIMAL + "models: [gpt-5]\n", "bastion.yaml:4: models[0]: not a model of the default catalog; define it "
                + "with id, endpoints and aliases. The default models: [gpt-oss-120b, gpt-oss-20b, Llama-3.1-8B-Instruct, "
                + "Meta-Llama-3_3-70B-Instruct, Qwen3-32B, Mistral-7B-Instruct-v0.3, Mistral-Small-3.2-24B-Instruct-2506, "
                + "Mistral-Nemo-Instruct-2407, Qwen3-Coder-30B-A3B-Instruct, Qwen2.5-VL-72B-Instruct, Qwen3Guard-Gen-8B, "
                + "Qwen3Guard-Gen-0.6B, whisper-large-v3, Kokoro-82M]");
        refused(MINIMAL + "models:\n  - {id: m, endpoints: [chat]}\n", "bastion.yaml:5: models[0].endpoints[0]: not an "
                + "endpoint; the endpoints are [audio.speech, audio.transcriptions, chat.completions, completions, responses]");
        refused(MINIMAL + "models: [gpt-oss-120b, gpt-oss-120b]\n",
                "bastion.yaml:4: models[1]: gpt-oss-120b is listed twice");
        refused(MINIMAL + "simulated_workers:\n  - {count: 0}\n",
                "bastion.yaml:5: simulated_workers[0].count: must be between 1 and 256, got 0");
        refused(MINIMAL + "backends: {postgres: 'postgresql://db/x'}\n",
                "bastion.yaml:4: backends.postgres: must be a jdbc:postgresql:// URL");
        refused("workers:\n  - url: http://gpu-1:8000\n", "bastion.yaml:1: admin.token: required when the admin API is on: "
                + "set it (e.g. token: ${BASTION_ADMIN_TOKEN}), or the environment variable BASTION_ADMIN_TOKEN, "
                + "or admin.enabled: false");
        refused("admin: {token: short}\n" + MINIMAL.substring(MINIMAL.indexOf('\n') + 1),
                "bastion.yaml:1: admin.token: must have at least 16 characters, has 5");
        refused("admin: {token: '${UNSET_VARIABLE}'}\n", "bastion.yaml:1: admin.token: the environment variable UNSET_VARIABLE is not set");
        refused(MINIMAL + "tls: {certificate: missing.pem, private_key: missing.key}\n",
                "bastion.yaml:4: tls.certificate: cannot read " + dir.resolve("missing.pem"));
        refused("- a\n- b\n", "bastion.yaml:1: the configuration must be a mapping of keys to values, got a list");
        assertThatThrownBy(() -> read("listener: {port: 1\n")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bastion.yaml:1: not well-formed YAML: while parsing a flow mapping");
    }

    @Test
    void variablesHaveDefaultsAndDollarsEscape() throws Exception {
        ServerConfig config = read("admin:\n  token: ${UNSET:-fallback-token-0123456}$$\nworkers:\n  - url: http://gpu-1:8000\n");
        assertThat(config.admin().token()).isEqualTo("fallback-token-0123456$");
    }

    @Test
    void theAdminTokenComesFromTheEnvironmentWhenTheFileHasNone() throws Exception {
        Path file = dir.resolve("bastion.yaml");
        Files.writeString(file, "workers:\n  - url: http://gpu-1:8000\n");
        ServerConfig config = ServerConfigReader.load(file, List.of(),
                Map.of(ServerConfigReader.ADMIN_TOKEN_VARIABLE, "token-from-environment")::get);
        assertThat(config.admin().token()).isEqualTo("token-from-environment");
    }

    @Test
    void backendAddressesArePrintedWithoutTheirPasswords() {
        assertThat(ServerConfig.Backends.display("jdbc:postgresql://db:5432/x?user=u&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/x?user=u&password=***&ssl=true");
        assertThat(ServerConfig.Backends.display("jdbc:postgresql://u:s3cret@db/x")).isEqualTo("jdbc:postgresql://u:***@db/x");
        assertThat(ServerConfig.Backends.display("redis://:s3cret@cache:6379/2")).isEqualTo("redis://:***@cache:6379/2");
        assertThat(ServerConfig.Backends.display("redis://127.0.0.1:6379")).isEqualTo("redis://127.0.0.1:6379");
        assertThat(ServerConfig.Backends.display(null)).isNull();
    }
}
