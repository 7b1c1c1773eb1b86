package ai.qubittron.bastion.server.config;

import ai.qubittron.bastion.core.scheduler.SchedulerConfig;
import ai.qubittron.bastion.netty.Bastion;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The {@code gateway:} section: the {@link Bastion.Builder} settings a configuration file may set, each
 * checked by the builder's own setter (so the file and the Java API accept exactly the same values), and
 * kept as typed, immutable values.
 */
public final class GatewaySettings {

    /** How a setting is written. */
    enum Kind { DURATION, SIZE, INT, DECIMAL }

    /** One key of the section: its name, how it is written, its default, what it sets, and how. */
    record Setting(String key, Kind kind, String defaultValue, String description, BiConsumer<Bastion.Builder, Object> apply) {
    }


    /** Every key of the section, in the order the reference lists them. */
    static final List<Setting> SETTINGS = List.of(
            new Setting("max_request_bytes", Kind.SIZE, "32MiB", "largest JSON request body (413 beyond)",
                    (b, v) -> b.maxRequestBytes((int) (long) v)),
            new Setting("max_upload_bytes", Kind.SIZE, "25MiB", "largest transcription upload (413 beyond)",
                    (b, v) -> b.maxUploadBytes((long) v)),
            new Setting("request_read_timeout", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_REQUEST_READ_TIMEOUT),
                    "a request's arrival, first byte to last (an upload's: between two reads)",
                    (b, v) -> b.requestReadTimeout((Duration) v)),
            new Setting("client_idle_timeout", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_CLIENT_IDLE_TIMEOUT),
                    "a kept-alive client connection's wait for its next request",
                    (b, v) -> b.clientIdleTimeout((Duration) v)),
            new Setting("connect_timeout", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_CONNECT_TIMEOUT),
                    "connecting to a worker", (b, v) -> b.connectTimeout((Duration) v)),
            new Setting("upstream_idle_timeout", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_UPSTREAM_IDLE_TIMEOUT),
                    "silence of a worker connection (must exceed the longest generation)",
                    (b, v) -> b.upstreamIdleTimeout((Duration) v)),
            new Setting("response_head_timeout", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_RESPONSE_HEAD_TIMEOUT),
                    "a stream's wait for its worker's response head (then another worker)",
                    (b, v) -> b.responseHeadTimeout((Duration) v)),
            new Setting("admission_timeout", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_ADMISSION_TIMEOUT),
                    "the key store, rate limiter or ledger (then 503)", (b, v) -> b.admissionTimeout((Duration) v)),
            new Setting("saturation_wait", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_SATURATION_WAIT),
                    "a request's wait while every worker of its model is at capacity (then 503)",
                    (b, v) -> b.saturationWait((Duration) v)),
            new Setting("drain_timeout", Kind.DURATION, seconds(Bastion.Builder.DEFAULT_DRAIN_TIMEOUT),
                    "how long a stop lets requests in flight finish", (b, v) -> b.drainTimeout((Duration) v)),
            new Setting("load_probe_interval", Kind.DURATION, Bastion.Builder.DEFAULT_LOAD_PROBE_INTERVAL.toMillis() + "ms",
                    "scrape of each worker's vLLM /metrics (0: never)", (b, v) -> b.loadProbe((Duration) v)),
            new Setting("overload_waiting_requests", Kind.INT, String.valueOf(Bastion.Builder.DEFAULT_OVERLOAD_WAITING_REQUESTS),
                    "queued requests from which a worker is overloaded", null),
            new Setting("overload_kv_cache_usage", Kind.DECIMAL, String.valueOf(Bastion.Builder.DEFAULT_OVERLOAD_KV_CACHE_USAGE),
                    "KV-cache usage from which a worker with a queue is overloaded", null),
            new Setting("max_idle_connections_per_worker", Kind.INT, String.valueOf(Bastion.Builder.DEFAULT_MAX_IDLE_PER_WORKER),
                    "idle keep-alive connections kept per worker and event loop",
                    (b, v) -> b.maxIdleConnectionsPerWorker((int) (long) v)),
            new Setting("max_in_flight_per_worker", Kind.INT, String.valueOf(SchedulerConfig.DEFAULT_MAX_IN_FLIGHT_PER_WORKER),
                    "requests of one model one worker takes at once", (b, v) -> b.maxInFlightPerWorker((int) (long) v)),
            new Setting("default_max_output_tokens", Kind.INT, String.valueOf(Bastion.Builder.DEFAULT_MAX_OUTPUT_TOKENS),
                    "output limit added to a request that sets none", (b, v) -> b.defaultMaxOutputTokens((int) (long) v)));

    private final Map<String, Object> values;

    private GatewaySettings(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** No setting: every default of {@link Bastion.Builder}. */
    public static final GatewaySettings DEFAULTS = new GatewaySettings(new LinkedHashMap<>());

    /**
     * Reads the section and checks every value with the builder's setter.
     *
     * @throws ConfigException naming the key, when a value is mistyped, out of range or unknown
     */
    static GatewaySettings read(Section section) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Setting setting : SETTINGS) {
            ConfigNode node = section.get(setting.key());
            if (node == null) {
                continue;
            }
            Object value = switch (setting.kind()) {
                case DURATION -> section.duration(setting.key(), null);
                case SIZE -> section.size(setting.key(), 0, Integer.MAX_VALUE);
                case INT -> section.integer(setting.key(), 0, 0, Integer.MAX_VALUE);
                case DECIMAL -> section.decimal(setting.key(), 0, 0, 1);
            };
            values.put(setting.key(), value);
            try {
                GatewaySettings one = new GatewaySettings(Map.of(setting.key(), value));
                one.applyTo(Bastion.builder());
            } catch (IllegalArgumentException e) {
                String message = e.getMessage();
                int colon = message == null ? -1 : message.indexOf(": ");
                throw node.error(colon >= 0 ? message.substring(colon + 2) : String.valueOf(message));
            }
        }
        section.finish();
        return new GatewaySettings(values);
    }

    /** The values set, by key ({@code Duration}, {@code Long} or {@code Double}); the rest keep their default. */
    public Map<String, Object> values() {
        return values;
    }

    /** Sets these values on a builder. */
    public void applyTo(Bastion.Builder builder) {
        for (Setting setting : SETTINGS) {
            Object value = values.get(setting.key());
            if (value != null && setting.apply() != null) {
                setting.apply().accept(builder, value);
            }
        }
        if (values.containsKey("overload_waiting_requests") || values.containsKey("overload_kv_cache_usage")) {
            builder.overloadThresholds(
                    (long) values.getOrDefault("overload_waiting_requests", Bastion.Builder.DEFAULT_OVERLOAD_WAITING_REQUESTS),
                    (double) values.getOrDefault("overload_kv_cache_usage", Bastion.Builder.DEFAULT_OVERLOAD_KV_CACHE_USAGE));
        }
    }

    private static String seconds(Duration d) {
        return d.toSeconds() >= 120 && d.toSeconds() % 60 == 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
    }
}
