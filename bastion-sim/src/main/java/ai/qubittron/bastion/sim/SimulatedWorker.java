package ai.qubittron.bastion.sim;

import ai.qubittron.bastion.sim.internal.SimEngine;
import ai.qubittron.bastion.sim.internal.SimPipeline;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A simulated GPU worker: a real Netty HTTP/1.1 server (keep-alive) that answers like a vLLM
 * OpenAI-compatible server, with GPU-like timing, vLLM's {@code /metrics}, runtime reconfiguration and
 * fault injection, so the gateway, its tests and its benchmarks have a realistic upstream without a GPU.
 *
 * <pre>{@code
 * try (SimulatedWorker w = SimulatedWorker.builder()
 *         .models(List.of("gpt-oss-120b"))
 *         .config(SimConfig.builder().interTokenMillis(1).build())
 *         .build()
 *         .start()) {
 *     String base = w.baseUrl(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * <h2>Endpoints</h2>
 * {@code POST /v1/chat/completions}, {@code POST /v1/completions}, {@code POST /v1/responses}
 * (stateless only: {@code "store": true} is answered 500), {@code POST /v1/audio/transcriptions}
 * ({@code multipart/form-data}, up to 64 MiB of audio, parsed in memory), {@code POST /v1/audio/speech}
 * (a streamed WAV or raw PCM), {@code GET /v1/models}, {@code GET /metrics},
 * {@code GET|POST /admin/config}, {@code GET|POST /admin/faults}, {@code GET /health}. Every served
 * model answers on every endpoint. A request for a model not in {@link Builder#models(List)} is answered
 * 404 {@code model_not_found}; a bad body 400 {@code invalid_request}. What is generated (text,
 * transcripts, audio lengths) is documented in {@link SimText}, the timing in {@link SimConfig}, the
 * faults in {@link SimFaults}.
 *
 * <h2>Threads</h2>
 * One {@link MultiThreadIoEventLoopGroup} of {@link Builder#eventLoopThreads(int)} threads (epoll when
 * available, else NIO) accepts and serves every connection; nothing blocks it: tokens are produced on
 * {@code EventLoop.schedule} timers. The public methods are thread-safe and are called from outside the
 * worker's event loops ({@link #start()}, {@link #refuseConnections(boolean)} and {@link #close()} wait
 * for the sockets, so they must not be called on one of them).
 */
public final class SimulatedWorker implements AutoCloseable {

    /** Default {@link Builder#host(String)}: the loopback address. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default {@link Builder#port(int)}: 0, an ephemeral port chosen at {@link #start()}. */
    public static final int DEFAULT_PORT = 0;
    /** Default {@link Builder#models(List)}: {@code gpt-oss-120b} only. */
    public static final List<String> DEFAULT_MODELS = List.of("gpt-oss-120b");
    /** Default {@link Builder#seed(long)}: {@value}. */
    public static final long DEFAULT_SEED = 42L;
    /** Default {@link Builder#eventLoopThreads(int)}: one event loop. */
    public static final int DEFAULT_EVENT_LOOP_THREADS = 1;

    private final String host;
    private final int requestedPort;
    private final List<String> models;
    private final int eventLoopThreads;
    private final SimEngine engine;
    private final Set<Channel> openConnections = ConcurrentHashMap.newKeySet();

    private EventLoopGroup group;
    private ServerBootstrap bootstrap;
    private Channel serverChannel;
    private int boundPort = -1;
    private boolean refusing;
    private boolean closed;

    private SimulatedWorker(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.models = b.models;
        this.eventLoopThreads = b.eventLoopThreads;
        this.engine = new SimEngine(b.models, b.config, b.faults, b.seed);
    }

    /** {@return a builder with every default} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the listening socket and starts serving.
     *
     * @return this worker
     * @throws IllegalStateException when already started or closed, or when the port cannot be bound
     */
    public synchronized SimulatedWorker start() {
        if (closed) {
            throw new IllegalStateException("worker is closed");
        }
        if (group != null) {
            throw new IllegalStateException("worker already started");
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        group = new MultiThreadIoEventLoopGroup(eventLoopThreads, new DefaultThreadFactory("bastion-sim", true), io);
        bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new SimPipeline(engine, openConnections));
        try {
            bind(requestedPort);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            group = null;
            throw e;
        }
        return this;
    }

    private void bind(int port) {
        try {
            serverChannel = bootstrap.bind(host, port).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + host + ":" + port, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind " + host + ":" + port + ": " + e.getMessage(), e);
        }
        boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * {@return the bound port (the ephemeral one chosen when built with port 0)}
     *
     * @throws IllegalStateException when the worker was never started
     */
    public synchronized int port() {
        if (boundPort < 0) {
            throw new IllegalStateException("worker not started");
        }
        return boundPort;
    }

    /** {@return the host the worker listens on, as given to the builder} */
    public String host() {
        return host;
    }

    /**
     * {@return the base URL, {@code http://HOST:PORT}, without a trailing slash (IPv6 hosts in brackets)}
     *
     * @throws IllegalStateException when the worker was never started
     */
    public String baseUrl() {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port();
    }

    /** {@return the served model ids, in {@code /v1/models} order (unmodifiable)} */
    public List<String> models() {
        return models;
    }

    /**
     * Replaces the timing configuration; applies to the next token of every running sequence. Any thread.
     *
     * @param config the new timing
     */
    public void reconfigure(SimConfig config) {
        engine.reconfigure(Objects.requireNonNull(config, "config"));
    }

    /** {@return the current timing configuration} */
    public SimConfig config() {
        return engine.config();
    }

    /**
     * Replaces the injected faults; applies to requests received from now on. Any thread.
     *
     * @param faults the new faults ({@link SimFaults#NONE} for none)
     */
    public void faults(SimFaults faults) {
        engine.faults(Objects.requireNonNull(faults, "faults"));
    }

    /** {@return the current injected faults} */
    public SimFaults faults() {
        return engine.faults();
    }

    /**
     * {@code true}: unbinds the listening socket (new connections get ECONNREFUSED) and closes every open
     * connection, cancelling what they had in flight; {@code false}: binds again on the same port. Waits
     * until done; idempotent.
     *
     * @param refuse whether to refuse connections from now on
     * @throws IllegalStateException when not started, closed, or the port cannot be bound again
     */
    public synchronized void refuseConnections(boolean refuse) {
        if (group == null || closed) {
            throw new IllegalStateException("worker not running");
        }
        if (refuse == refusing) {
            return;
        }
        if (refuse) {
            serverChannel.close().syncUninterruptibly();
            awaitRefusal();
            closeOpenConnections();
        } else {
            bind(boundPort);
        }
        refusing = refuse;
    }

    /**
     * Returns once a connection to the port is refused. NIO releases a listening socket that is registered
     * with a selector only at the selector's next wake-up, shortly after the channel's close completed;
     * until then the kernel would still complete handshakes.
     */
    private void awaitRefusal() {
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        InetAddress address = bound == null || bound.getAddress().isAnyLocalAddress()
                ? InetAddress.getLoopbackAddress() : bound.getAddress();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(address, boundPort), 100);
            } catch (IOException refused) {
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** {@return whether {@link #refuseConnections(boolean) refuseConnections(true)} is in force} */
    public synchronized boolean refusingConnections() {
        return refusing;
    }

    /** {@return a snapshot of the request counters and of the running and waiting sequences} */
    public SimStats stats() {
        return engine.stats();
    }

    /**
     * Closes the listening socket and every connection (cancelling what they had in flight) and stops the
     * event loops; blocks until they have stopped (up to about 2 s). Idempotent; a closed worker cannot
     * be started again.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (group == null) {
            return;
        }
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        closeOpenConnections();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void closeOpenConnections() {
        for (Channel ch : List.copyOf(openConnections)) {
            ch.close().syncUninterruptibly();
        }
    }

    @Override
    public String toString() {
        return "SimulatedWorker{" + host + ":" + (boundPort < 0 ? requestedPort : boundPort) + ", models=" + models + '}';
    }

    /** Builds a {@link SimulatedWorker}; each setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private List<String> models = DEFAULT_MODELS;
        private SimConfig config = SimConfig.defaults();
        private SimFaults faults = SimFaults.NONE;
        private long seed = DEFAULT_SEED;
        private int eventLoopThreads = DEFAULT_EVENT_LOOP_THREADS;

        private Builder() {
        }

        /**
         * Address to listen on.
         *
         * @param host a host name or address, not blank; default {@value SimulatedWorker#DEFAULT_HOST}
         * @return this builder
         * @throws IllegalArgumentException when the host is blank
         */
        public Builder host(String host) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank, was '" + host + "'");
            }
            this.host = host;
            return this;
        }

        /**
         * Port to listen on.
         *
         * @param port 0 to 65535, 0 for an ephemeral one; default {@value SimulatedWorker#DEFAULT_PORT}
         * @return this builder
         * @throws IllegalArgumentException when the port is out of range
         */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Served model ids, exactly as requests name them (the worker knows no aliases).
         *
         * @param models non-empty, no blank or duplicate id; copied; default {@link SimulatedWorker#DEFAULT_MODELS}
         * @return this builder
         * @throws IllegalArgumentException when the list is empty or holds a blank or repeated id
         */
        public Builder models(List<String> models) {
            if (models == null || models.isEmpty()) {
                throw new IllegalArgumentException("models must not be empty, was " + models);
            }
            Set<String> seen = new HashSet<>();
            List<String> copy = new ArrayList<>(models.size());
            for (String m : models) {
                if (m == null || m.isBlank()) {
                    throw new IllegalArgumentException("models must not hold a blank id, was " + models);
                }
                if (!seen.add(m)) {
                    throw new IllegalArgumentException("models must not hold duplicates, was " + models);
                }
                copy.add(m);
            }
            this.models = List.copyOf(copy);
            return this;
        }

        /**
         * Served model ids; see {@link #models(List)}.
         *
         * @param models non-empty, no blank or duplicate id
         * @return this builder
         * @throws IllegalArgumentException when the ids are empty, blank or repeated
         */
        public Builder models(String... models) {
            return models(models == null ? null : List.of(models));
        }

        /**
         * Timing.
         *
         * @param config not null; default {@link SimConfig#defaults()}
         * @return this builder
         * @throws IllegalArgumentException when it is null
         */
        public Builder config(SimConfig config) {
            if (config == null) {
                throw new IllegalArgumentException("config must not be null");
            }
            this.config = config;
            return this;
        }

        /**
         * Injected faults.
         *
         * @param faults not null; default {@link SimFaults#NONE}
         * @return this builder
         * @throws IllegalArgumentException when it is null
         */
        public Builder faults(SimFaults faults) {
            if (faults == null) {
                throw new IllegalArgumentException("faults must not be null");
            }
            this.faults = faults;
            return this;
        }

        /**
         * Seed of the generated text ({@link SimText}) and of the fault draw.
         *
         * @param seed any value; default {@value SimulatedWorker#DEFAULT_SEED}
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Event loop threads, which accept and serve every connection.
         *
         * @param eventLoopThreads {@code >= 1}; default {@value SimulatedWorker#DEFAULT_EVENT_LOOP_THREADS}
         * @return this builder
         * @throws IllegalArgumentException when below 1
         */
        public Builder eventLoopThreads(int eventLoopThreads) {
            if (eventLoopThreads < 1) {
                throw new IllegalArgumentException("eventLoopThreads must be >= 1, was " + eventLoopThreads);
            }
            this.eventLoopThreads = eventLoopThreads;
            return this;
        }

        /** {@return the worker, not started yet: call {@link SimulatedWorker#start()}} */
        public SimulatedWorker build() {
            return new SimulatedWorker(this);
        }
    }
}
