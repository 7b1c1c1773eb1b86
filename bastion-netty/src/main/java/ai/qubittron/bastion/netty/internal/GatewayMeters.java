package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's Micrometer meters (names in dot notation; Prometheus shows {@code bastion_…}):
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@value #REQUESTS}</td><td>counter</td><td>model, endpoint, status</td>
 *       <td>every request the gateway ended, counted once at its end with the status it answered;
 *       {@value #CLIENT_CLOSED} when the client left before any answer</td></tr>
 *   <tr><td>{@value #TTFT}</td><td>timer</td><td>model, endpoint</td>
 *       <td>streamed requests that relayed a token: whole request received → first token relayed</td></tr>
 *   <tr><td>{@value #TOKENS_PER_SECOND}</td><td>summary</td><td>model, endpoint</td>
 *       <td>streamed requests whose stream ended normally: output tokens / (total − TTFT)</td></tr>
 *   <tr><td>{@value #OVERHEAD}</td><td>timer</td><td>model, endpoint</td>
 *       <td>requests relayed to a worker: the gateway's own time, see {@link RequestMeters#overhead}</td></tr>
 *   <tr><td>{@value #RETRIES}</td><td>counter</td><td>model, reason</td>
 *       <td>{@code failover}: the request moved to another worker; {@code reconnect}: it was sent again on a
 *       fresh connection after a kept-alive one was found closed</td></tr>
 *   <tr><td>{@code bastion.worker.*}</td><td>gauges, function counter</td><td>model, worker</td>
 *       <td>each worker's {@link WorkerState}, read at scrape time; see {@link #bindWorker}</td></tr>
 * </table>
 *
 * <p><b>Tags are bounded.</b> {@code model} is a catalog id, {@value #NO_MODEL} when the request carried no
 * model the gateway read (auth failure, unknown path, {@code /v1/models}, unreadable body) and
 * {@value #UNKNOWN_MODEL} when it named one the catalog does not have: a client-chosen string never
 * becomes a tag. {@code endpoint} is one of {@link EndpointTag}; {@code status} a three-digit code.
 *
 * <p><b>Hot path.</b> Request meters are created on first use and cached per (model, endpoint): a request
 * finds them with one {@link ConcurrentHashMap#get} (lock-free) and two array reads, then records into
 * Micrometer's lock-free meters. Without a registry ({@link #DISABLED}) every method returns at once.
 *
 * <p>Thread-safe. The request methods are called from the event loops; the worker methods from
 * whichever thread adds or removes workers.
 */
public final class GatewayMeters {

    public static final String REQUESTS = "bastion.requests";
    public static final String TTFT = "bastion.ttft";
    public static final String TOKENS_PER_SECOND = "bastion.tokens.per.second";
    public static final String OVERHEAD = "bastion.overhead";
    public static final String RETRIES = "bastion.retries";
    public static final String WORKER_IN_FLIGHT = "bastion.worker.in.flight";
    public static final String WORKER_PENDING_PREFILL_TOKENS = "bastion.worker.pending.prefill.tokens";
    public static final String WORKER_DECODING = "bastion.worker.decoding";
    public static final String WORKER_TTFT_PER_TOKEN = "bastion.worker.ttft.per.token";
    public static final String WORKER_ITL = "bastion.worker.itl";
    public static final String WORKER_CIRCUIT = "bastion.worker.circuit";
    public static final String WORKER_EJECTIONS = "bastion.worker.ejections";

    /** The {@code model} tag of a request that carried no model the gateway read. */
    public static final String NO_MODEL = "none";
    /** The {@code model} tag of a request naming a model the catalog does not have. */
    public static final String UNKNOWN_MODEL = "unknown";
    /** The {@code status} of a request whose client left before any answer (nginx's convention). */
    public static final int CLIENT_CLOSED = 499;

    /** Meters that record nothing and register nothing: a gateway built without a registry. */
    public static final GatewayMeters DISABLED = new GatewayMeters(null);

    private static final RequestMeters NOT_RECORDED = new RequestMeters(null, NO_MODEL, EndpointTag.OTHER);
    private static final int STATUSES = 600;

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, ModelMeters> models = new ConcurrentHashMap<>();
    /** The meters of each bound worker; holds the {@link WorkerState}s strongly while they are bound. */
    private final Map<WorkerState, List<Meter>> workers = new HashMap<>();

    private GatewayMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters in {@code registry}, or {@link #DISABLED} when it is {@code null}. */
    public static GatewayMeters of(MeterRegistry registry) {
        return registry == null ? DISABLED : new GatewayMeters(registry);
    }

    /** The endpoint a request is counted under. */
    enum EndpointTag {
        CHAT_COMPLETIONS("chat.completions"),
        COMPLETIONS("completions"),
        RESPONSES("responses"),
        TRANSCRIPTIONS("audio.transcriptions"),
        TEXT_TO_SPEECH("tts"),
        MODELS("models"),
        /** An unknown path, or a request whose path was not read (an oversized or malformed one). */
        OTHER("other");

        private static final EndpointTag[] VALUES = values();
        final String tag;

        EndpointTag(String tag) {
            this.tag = tag;
        }

        static EndpointTag of(Endpoint endpoint) {
            return switch (endpoint) {
                case CHAT_COMPLETIONS -> CHAT_COMPLETIONS;
                case COMPLETIONS -> COMPLETIONS;
                case RESPONSES -> RESPONSES;
                case TRANSCRIPTIONS -> TRANSCRIPTIONS;
                case TEXT_TO_SPEECH -> TEXT_TO_SPEECH;
            };
        }
    }

    /**
     * The meters of requests for {@code model} (a catalog id, {@link #NO_MODEL} or {@link #UNKNOWN_MODEL})
     * on {@code endpoint}. Lock-free once created.
     */
    RequestMeters requests(String model, EndpointTag endpoint) {
        if (registry == null) {
            return NOT_RECORDED;
        }
        return model(model).requests(endpoint);
    }

    /** Counts a request sent again; {@code reason} is {@code failover} or {@code reconnect}. */
    void retried(String model, boolean failover) {
        if (registry != null) {
            model(model).retry(failover).increment();
        }
    }

    private ModelMeters model(String model) {
        ModelMeters meters = models.get(model);
        return meters != null ? meters : models.computeIfAbsent(model, ModelMeters::new);
    }

    /**
     * Registers the gauges of a worker of {@code model}, tagged {@code model} and {@code worker} (its name):
     * in flight, pending prefill tokens, decoding streams, the TTFT-per-token and inter-token-latency
     * estimates (seconds), the circuit (0 closed, 1 open, 2 half-open), and a function counter of its
     * ejections. They read the worker's atomics at scrape time and cost the relay nothing. The worker is
     * held strongly until {@link #unbindWorker}: Micrometer's own gauges hold it weakly, and the
     * scheduler may drop it first. Does nothing if it is already bound.
     */
    public synchronized void bindWorker(String model, WorkerState worker) {
        if (registry == null || workers.containsKey(worker)) {
            return;
        }
        Tags tags = Tags.of("model", model, "worker", worker.name());
        workers.put(worker, List.of(
                gauge(WORKER_IN_FLIGHT, worker, WorkerState::inFlight, tags, null,
                        "Requests the worker is serving (leases not yet released)"),
                gauge(WORKER_PENDING_PREFILL_TOKENS, worker, WorkerState::pendingPrefillTokens, tags, "tokens",
                        "Prompt tokens of the worker's requests that have no first token yet"),
                gauge(WORKER_DECODING, worker, WorkerState::decodingStreams, tags, null,
                        "The worker's requests past their first token"),
                gauge(WORKER_TTFT_PER_TOKEN, worker, WorkerState::ttftPerTokenSeconds, tags, "seconds",
                        "Peak-EWMA of the worker's time to first token per prompt token ahead"),
                gauge(WORKER_ITL, worker, WorkerState::itlSeconds, tags, "seconds",
                        "Peak-EWMA of the worker's inter-token latency"),
                gauge(WORKER_CIRCUIT, worker, GatewayMeters::circuit, tags, null,
                        "The worker's circuit: 0 closed, 1 open, 2 half-open (one probe in flight)"),
                FunctionCounter.builder(WORKER_EJECTIONS, worker, WorkerState::ejections)
                        .tags(tags)
                        .description("Times the worker's circuit opened after consecutive failures")
                        .register(registry)));
    }

    /** Removes a worker's meters from the registry; does nothing if it is not bound. */
    public synchronized void unbindWorker(WorkerState worker) {
        List<Meter> meters = workers.remove(worker);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
    }

    /** Removes the meters of every bound worker (the gateway stops; the request meters stay). */
    public synchronized void unbindWorkers() {
        workers.values().forEach(meters -> meters.forEach(registry::remove));
        workers.clear();
    }

    private Gauge gauge(String name, WorkerState worker, ToDoubleFunction<WorkerState> value, Tags tags, String unit,
                        String description) {
        return Gauge.builder(name, worker, value)
                .tags(tags)
                .baseUnit(unit)
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    private static double circuit(WorkerState worker) {
        return switch (worker.circuitState()) {
            case CLOSED -> 0;
            case OPEN -> 1;
            case HALF_OPEN -> 2;
        };
    }

    /** The meters of one model tag: one {@link RequestMeters} per endpoint and the retry counters, lazily. */
    private final class ModelMeters {
        private final String model;
        private final AtomicReferenceArray<RequestMeters> byEndpoint = new AtomicReferenceArray<>(EndpointTag.VALUES.length);
        private volatile Counter failovers;
        private volatile Counter reconnects;

        ModelMeters(String model) {
            this.model = model;
        }

        RequestMeters requests(EndpointTag endpoint) {
            RequestMeters meters = byEndpoint.get(endpoint.ordinal());
            if (meters == null) {
                byEndpoint.compareAndSet(endpoint.ordinal(), null, new RequestMeters(registry, model, endpoint));
                meters = byEndpoint.get(endpoint.ordinal());
            }
            return meters;
        }

        Counter retry(boolean failover) {
            Counter counter = failover ? failovers : reconnects;
            if (counter == null) {
                // a racing registration gets the same counter back from the registry
                counter = Counter.builder(RETRIES)
                        .tags("model", model, "reason", failover ? "failover" : "reconnect")
                        .description("Requests sent again: to another worker (failover), or on a fresh connection "
                                + "after a kept-alive one was found closed (reconnect)")
                        .register(registry);
                if (failover) {
                    failovers = counter;
                } else {
                    reconnects = counter;
                }
            }
            return counter;
        }
    }

    /**
     * The meters of requests for one model on one endpoint. Each meter is registered on first use, so a
     * (model, endpoint) that never streamed publishes no empty TTFT histogram. A racing first use
     * registers the same id twice and gets the same meter back. Thread-safe.
     */
    static final class RequestMeters {
        private final MeterRegistry registry;
        private final Tags tags;
        private final AtomicReferenceArray<Counter> byStatus;
        private volatile Timer ttft;
        private volatile DistributionSummary tokensPerSecond;
        private volatile Timer overhead;

        RequestMeters(MeterRegistry registry, String model, EndpointTag endpoint) {
            this.registry = registry;
            this.tags = Tags.of("model", model, "endpoint", endpoint.tag);
            this.byStatus = registry == null ? null : new AtomicReferenceArray<>(STATUSES);
        }

        /** Counts a request that ended with this HTTP status (100–599; anything else counts as {@code other}). */
        void answered(int status) {
            if (registry == null) {
                return;
            }
            int index = status >= 100 && status < STATUSES ? status : 0;
            Counter counter = byStatus.get(index);
            if (counter == null) {
                counter = Counter.builder(REQUESTS)
                        .tags(tags)
                        .tag("status", index == 0 ? "other" : Integer.toString(status))
                        .description("Requests the gateway ended, by the status it answered (499: the client left first)")
                        .register(registry);
                byStatus.set(index, counter);
            }
            counter.increment();
        }

        /** Records a streamed request's time from the whole request to its first relayed token. */
        void ttft(long nanos) {
            if (registry == null) {
                return;
            }
            Timer timer = ttft;
            if (timer == null) {
                timer = ttft = Timer.builder(TTFT)
                        .tags(tags)
                        .description("Streamed requests: time from the whole request received to the first token relayed")
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(120))
                        .register(registry);
            }
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }

        /** Records a completed stream's output tokens per second of generation. */
        void tokensPerSecond(double tps) {
            if (registry == null) {
                return;
            }
            DistributionSummary summary = tokensPerSecond;
            if (summary == null) {
                summary = tokensPerSecond = DistributionSummary.builder(TOKENS_PER_SECOND)
                        .tags(tags)
                        .description("Completed streams: output tokens per second after the first token")
                        .publishPercentileHistogram()
                        .minimumExpectedValue(1.0)
                        .maximumExpectedValue(10_000.0)
                        .register(registry);
            }
            summary.record(tps);
        }

        /**
         * Records the gateway's own time for a request relayed to a worker: from the whole request received
         * to the request written to the upstream connection (routing, authentication, inspection, rate limit,
         * reservation, the pick, taking a pooled connection, encoding and writing), less the time spent
         * waiting for new upstream connections to be established; with failover, the own time of every
         * attempt is added and the time spent waiting for failed workers is not.
         */
        void overhead(long nanos) {
            if (registry == null) {
                return;
            }
            Timer timer = overhead;
            if (timer == null) {
                timer = overhead = Timer.builder(OVERHEAD)
                        .tags(tags)
                        .description("The gateway's own time for a relayed request: whole request received to request "
                                + "written upstream, less upstream connection set-up and time spent on failed workers")
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofNanos(10_000))
                        .maximumExpectedValue(Duration.ofSeconds(5))
                        .register(registry);
            }
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
