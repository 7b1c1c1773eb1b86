package ai.qubittron.bastion.server.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The configuration file's keys, their defaults and what they do, as {@code bastion serve --help} prints
 * them. The {@code gateway:} keys come from {@link GatewaySettings#SETTINGS}, so that the list cannot
 * drift from what is read.
 */
public final class ConfigReference {

    private ConfigReference() {
    }

    /** The reference, one line a key. */
    public static List<String> lines() {
        List<String> lines = new ArrayList<>(List.of(
                "listener:",
                "  host                 address to listen on (default 127.0.0.1)",
                "  port                 port; with tls, the HTTPS port (default 8080; 0: any free one)",
                "  io_threads           event loops (default: one per processor)",
                "tls:                   HTTPS (HTTP/2 and HTTP/1.1 by ALPN); absent: plain HTTP",
                "  certificate          PEM certificate chain (paths are relative to the file)",
                "  private_key          PEM private key, PKCS#8, unencrypted",
                "  redirect_port        a plain-HTTP port that answers 308 to HTTPS (default: none)",
                "admin:                 the admin API, which also serves /metrics (no token) for Prometheus",
                "  enabled              (default true)",
                "  host, port           (default 127.0.0.1, 8081)",
                "  token                bearer token, at least 16 characters (default: $BASTION_ADMIN_TOKEN)",
                "gateway:               tuning; every key optional"));
        for (GatewaySettings.Setting s : GatewaySettings.SETTINGS) {
            lines.add(String.format("  %-33s %s (default %s)", s.key(), s.description(), s.defaultValue()));
        }
        lines.addAll(List.of(
                "models:                the catalog (default: the 14 models of API.md); each item is a default",
                "                       model's name, or {id, endpoints, aliases, upstream_name, category, owned_by};",
                "                       endpoints: chat.completions, completions, responses, audio.transcriptions,",
                "                       audio.speech (default: the three text ones)",
                "prices:                <model>: {input_per_million_micros, output_per_million_micros}",
                "default_price:         the price of a model without one: {input_per_million_micros, output_per_million_micros}",
                "tiers:                 <name>: {requests_per_minute, tokens_per_minute} (tier default: 600, 1000000)",
                "workers:               - {url: http://gpu-1:8000, models: [..] (default: every model)}",
                "simulated_workers:     - {count, models, inter_token_millis, prefill_micros_per_token, overhead_millis,",
                "                          max_running, kv_cache_tokens, transcription_micros_per_audio_second,",
                "                          speech_micros_per_audio_second}: in-process simulated GPU workers",
                "backends:              redis: redis://host:6379 (rate limits), postgres: jdbc:postgresql://... (ledger,",
                "                       keys); default: in memory",
                "accounts:              - {id, tier, balance_micros, keys: [{id, sha256, models}]}: opened at start",
                "                       if missing; keys by the SHA-256 of the key (printf %s \"$KEY\" | sha256sum)",
                "",
                "Durations take a unit (250ms, 60s, 5m, 1h); sizes are bytes or 512KiB, 32MiB, 1GB.",
                "Strings may use ${NAME} or ${NAME:-default} for environment variables; $$ is a dollar sign.",
                "An unknown key, a value of the wrong type or range, or a reference to a missing model or tier",
                "stops the start with file:line, the key, and the reason."));
        return lines;
    }
}
