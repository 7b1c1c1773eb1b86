package ai.qubittron.bastion.netty.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which workers serve which model, and a round-robin choice among them. Immutable table; the only
 * mutable state is one atomic counter per model, so choosing takes no lock.
 */
public final class UpstreamRoutes {

    private final Map<String, Route> routes;

    public UpstreamRoutes(Map<String, List<UpstreamWorker>> workersByModel) {
        Map<String, Route> table = new java.util.HashMap<>();
        workersByModel.forEach((model, workers) -> {
            if (!workers.isEmpty()) {
                table.put(model, new Route(workers.toArray(UpstreamWorker[]::new)));
            }
        });
        this.routes = Map.copyOf(table);
    }

    /** Whether some worker serves the model (canonical id). */
    public boolean serves(String modelId) {
        return routes.containsKey(modelId);
    }

    /** The next worker for the model, or {@code null} when none serves it. */
    public UpstreamWorker next(String modelId) {
        Route route = routes.get(modelId);
        return route == null ? null : route.next();
    }

    private static final class Route {
        private final UpstreamWorker[] workers;
        private final AtomicInteger cursor = new AtomicInteger();

        Route(UpstreamWorker[] workers) {
            this.workers = workers;
        }

        UpstreamWorker next() {
            return workers[Math.floorMod(cursor.getAndIncrement(), workers.length)];
        }
    }
}
