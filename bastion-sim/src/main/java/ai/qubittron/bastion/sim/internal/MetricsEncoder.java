package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimConfig;
import java.util.function.ToDoubleFunction;

/**
 * {@code GET /metrics}: Prometheus text exposition (format 0.0.4) with vLLM's metric names, one sample
 * per served model labelled {@code model_name}:
 * <ul>
 *   <li>{@code vllm:num_requests_running} (gauge) sequences decoding;</li>
 *   <li>{@code vllm:num_requests_waiting} (gauge) sequences queued for a slot;</li>
 *   <li>{@code vllm:kv_cache_usage_perc} (gauge, 0..1) prompt plus generated tokens of the model's
 *       running sequences over {@link SimConfig#kvCacheTokens()}, capped at 1 (the models share one
 *       cache, so the samples add up to the worker's usage);</li>
 *   <li>{@code vllm:request_success_total} (counter) over completed requests, audio ones included, and
 *       {@code vllm:prompt_tokens_total}, {@code vllm:generation_tokens_total} (counters) over completed
 *       generation requests.</li>
 * </ul>
 * Stateless; called on an event loop.
 */
final class MetricsEncoder {

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsEncoder() {
    }

    static String encode(SimEngine engine) {
        double capacity = engine.config().kvCacheTokens();
        StringBuilder sb = new StringBuilder(1024);
        family(sb, engine, "vllm:num_requests_running", "gauge",
                "Number of requests in model execution batches.", m -> Math.max(0, m.running.get()));
        family(sb, engine, "vllm:num_requests_waiting", "gauge",
                "Number of requests waiting to be processed.", m -> Math.max(0, m.waiting.get()));
        family(sb, engine, "vllm:kv_cache_usage_perc", "gauge",
                "KV-cache usage. 1 means 100 percent usage.",
                m -> Math.min(1.0, Math.max(0, m.kvTokens.get()) / capacity));
        family(sb, engine, "vllm:request_success_total", "counter",
                "Count of successfully processed requests.", m -> m.success.sum());
        family(sb, engine, "vllm:prompt_tokens_total", "counter",
                "Number of prefill tokens processed.", m -> m.promptTokens.sum());
        family(sb, engine, "vllm:generation_tokens_total", "counter",
                "Number of generation tokens processed.", m -> m.generationTokens.sum());
        return sb.toString();
    }

    private static void family(StringBuilder sb, SimEngine engine, String name, String type, String help,
                               ToDoubleFunction<ModelState> value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        for (ModelState m : engine.models()) {
            sb.append(name).append("{model_name=\"");
            escape(sb, m.id());
            sb.append("\"} ").append(value.applyAsDouble(m)).append('\n');
        }
    }

    private static void escape(StringBuilder sb, String label) {
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
    }
}
