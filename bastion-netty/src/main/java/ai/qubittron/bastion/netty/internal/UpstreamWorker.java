package ai.qubittron.bastion.netty.internal;

import java.net.InetSocketAddress;
import java.net.URI;

/**
 * One upstream worker (an OpenAI-compatible model server). Its address is resolved once, when the
 * gateway is configured, so that connecting never resolves a name on an event loop. Immutable.
 *
 * @param uri        the base URI as configured, e.g. {@code http://10.0.0.7:8000}
 * @param address    the resolved socket address
 * @param hostHeader the {@code Host} header to send
 */
public record UpstreamWorker(URI uri, InetSocketAddress address, String hostHeader) {

    /** Validates and resolves a worker base URI ({@code http://host:port}, no path). */
    public static UpstreamWorker of(URI uri) {
        if (!"http".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("worker: only http:// upstreams are supported, got " + uri);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("worker: no host in " + uri);
        }
        String path = uri.getPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw new IllegalArgumentException("worker: give the server's base URI without a path, got " + uri);
        }
        int port = uri.getPort() == -1 ? 80 : uri.getPort();
        InetSocketAddress address = new InetSocketAddress(uri.getHost(), port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("worker: cannot resolve host of " + uri);
        }
        return new UpstreamWorker(uri, address, uri.getHost() + ":" + port);
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
