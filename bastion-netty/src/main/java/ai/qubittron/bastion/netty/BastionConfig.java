package ai.qubittron.bastion.netty;

import ai.qubittron.bastion.core.catalog.ModelCatalog;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A gateway's settings as {@link Bastion.Builder#build()} checked them: immutable, and what
 * {@link Bastion#config()} returns. Every value is the builder's (see each setter for its meaning and
 * default); the builder's collaborators are not settings and are not here: the plugins
 * ({@code keyStore}, {@code rateLimiter}, {@code ledger}), the tier and price tables (live: the admin API
 * changes them at run time), the meter registry and a host's event loops.
 *
 * @param host                        the listener's address
 * @param port                        the listener's port as configured (0: any free one; {@link Bastion#port()} has the bound one)
 * @param listen                      whether the gateway opens a listener of its own
 * @param ioThreads                   its own event loops (unused on a host's)
 * @param catalog                     the models served
 * @param workers                     the workers at build time, by catalog id (the scheduler has the live list)
 * @param maxRequestBytes             the largest JSON request body
 * @param maxUploadBytes              the largest transcription upload
 * @param requestReadTimeout          a request's arrival (an upload's: between two reads)
 * @param clientIdleTimeout           a kept-alive client connection's wait for its next request
 * @param connectTimeout              connecting to a worker
 * @param upstreamIdleTimeout         the longest silence of a worker connection
 * @param responseHeadTimeout         a stream's wait for its worker's response head
 * @param admissionTimeout            the longest wait for the key store, limiter or ledger
 * @param saturationWait              a request's wait while every worker of its model is at capacity
 * @param drainTimeout                how long {@link Bastion#close()} lets requests in flight finish
 * @param maxIdleConnectionsPerWorker idle keep-alive connections kept per worker and event loop
 * @param maxInFlightPerWorker        requests of one model one worker takes at once
 * @param loadProbeInterval           the scrape interval of workers' metrics (zero: none)
 * @param overloadWaitingRequests     queued requests from which a worker is overloaded
 * @param overloadKvCacheUsage        KV-cache usage from which a worker with a queue is overloaded
 * @param defaultMaxOutputTokens      the output limit of a request that sets none
 * @param tlsCertificateChain         the PEM certificate chain, or {@code null} for plain HTTP
 * @param tlsPrivateKey               its private key, or {@code null}
 * @param httpRedirectPort            the plain port that redirects to HTTPS, or -1 for none
 */
public record BastionConfig(String host, int port, boolean listen, int ioThreads, ModelCatalog catalog,
                            Map<String, List<URI>> workers, int maxRequestBytes, long maxUploadBytes,
                            Duration requestReadTimeout, Duration clientIdleTimeout, Duration connectTimeout,
                            Duration upstreamIdleTimeout, Duration responseHeadTimeout, Duration admissionTimeout,
                            Duration saturationWait, Duration drainTimeout, int maxIdleConnectionsPerWorker,
                            int maxInFlightPerWorker, Duration loadProbeInterval, long overloadWaitingRequests,
                            double overloadKvCacheUsage, int defaultMaxOutputTokens, Path tlsCertificateChain,
                            Path tlsPrivateKey, int httpRedirectPort) {

    public BastionConfig {
        // copied deeply: the record never changes
        workers = workers.entrySet().stream().collect(Collectors.toUnmodifiableMap(Map.Entry::getKey,
                e -> List.copyOf(e.getValue())));
    }

    /** {@return whether the listener serves TLS} */
    public boolean tls() {
        return tlsCertificateChain != null;
    }
}
