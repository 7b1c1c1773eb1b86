package ai.qubittron.bastion.netty.admin;

import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.netty.usage.KeyLoad;
import ai.qubittron.bastion.netty.usage.KeyUsage;
import ai.qubittron.bastion.netty.usage.ModelLatency;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the admin API reads of a running gateway node, beside its {@link AdminBackend}: its usage
 * recorder (settled usage, rate-limit use, last use of keys, model latency) and its workers' live
 * state. All of it is this node's, in memory. Every method has a default that answers nothing, which is
 * what an admin API without a gateway (a node that only administers shared stores) serves; {@link #of}
 * reads a {@link Bastion}. Called on the admin API's thread; never blocks.
 */
public interface GatewayView {

    /** A view of no gateway: empty lists, no last use. */
    GatewayView NONE = new GatewayView() {
    };

    /**
     * {@return what this node settled in the last {@code minutes} minutes; see {@link Bastion#usage(int)}}
     *
     * @param minutes 1 to 60
     */
    default List<KeyUsage> usage(int minutes) {
        return List.of();
    }

    /** {@return each key's use of its rate limits this minute; see {@link Bastion#keyLoad()}} */
    default List<KeyLoad> keyLoad() {
        return List.of();
    }

    /**
     * {@return when this node last authenticated the key, or empty}
     *
     * @param keyId the key's public id
     */
    default Optional<Instant> lastUsed(String keyId) {
        return Optional.empty();
    }

    /** {@return each catalog model that has workers, in catalog order, with its workers' live states} */
    default Map<String, List<WorkerState>> workers() {
        return Map.of();
    }

    /** {@return each model's TTFT percentiles and throughput over the last 10 seconds} */
    default List<ModelLatency> modelLatency() {
        return List.of();
    }

    /**
     * {@return a view of this gateway}
     *
     * @param gateway the node's gateway; not closed by the view
     */
    static GatewayView of(Bastion gateway) {
        Objects.requireNonNull(gateway, "gateway");
        return new GatewayView() {
            @Override
            public List<KeyUsage> usage(int minutes) {
                return gateway.usage(minutes);
            }

            @Override
            public List<KeyLoad> keyLoad() {
                return gateway.keyLoad();
            }

            @Override
            public Optional<Instant> lastUsed(String keyId) {
                return gateway.lastUsed(keyId);
            }

            @Override
            public Map<String, List<WorkerState>> workers() {
                Map<String, List<WorkerState>> all = new LinkedHashMap<>();
                for (ModelInfo model : gateway.config().catalog().models()) {
                    List<WorkerState> workers = gateway.workers(model.id());
                    if (!workers.isEmpty()) {
                        all.put(model.id(), workers);
                    }
                }
                return Collections.unmodifiableMap(all);
            }

            @Override
            public List<ModelLatency> modelLatency() {
                return gateway.modelLatency();
            }
        };
    }
}
