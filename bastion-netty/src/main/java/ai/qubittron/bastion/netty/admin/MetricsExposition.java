package ai.qubittron.bastion.netty.admin;

import java.io.IOException;
import java.io.OutputStream;

/**
 * What the admin listener serves at {@code GET /metrics}: the metrics in a text format a scraper reads,
 * typically a Prometheus registry's, without the gateway depending on one:
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * AdminServer.start(host, port, token, backend, registry::scrape);
 * }</pre>
 *
 * <p>Thread role: called on the admin listener's own thread, once per scrape; it may take a while, it
 * never holds up a gateway event loop.
 */
@FunctionalInterface
public interface MetricsExposition {

    /** Prometheus's text exposition format 0.0.4, which every Prometheus-compatible scraper reads. */
    String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /**
     * Writes the current metrics.
     *
     * @param out where to write them; the caller owns and closes it
     * @throws IOException when writing fails (the scrape gets a 500)
     */
    void writeTo(OutputStream out) throws IOException;

    /** {@return the {@code Content-Type} of what {@link #writeTo} writes; default {@link #PROMETHEUS_TEXT}} */
    default String contentType() {
        return PROMETHEUS_TEXT;
    }
}
