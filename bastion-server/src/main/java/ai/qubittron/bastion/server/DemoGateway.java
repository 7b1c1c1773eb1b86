package ai.qubittron.bastion.server;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The demo deployment: simulated GPU workers that each serve every model of the default catalog, and
 * the gateway in front of them with an in-memory key store holding one key.
 */
final class DemoGateway implements AutoCloseable {

    private final Bastion gateway;
    private final List<SimulatedWorker> workers;
    private final String key;

    private DemoGateway(Bastion gateway, List<SimulatedWorker> workers, String key) {
        this.gateway = gateway;
        this.workers = workers;
        this.key = key;
    }

    /**
     * Starts the workers, then the gateway.
     *
     * @param ioThreads gateway event loops, or {@code null} for the default
     * @throws IllegalArgumentException when the key does not start with {@code qbt_}
     */
    static DemoGateway start(String host, int port, String key, int workerCount, SimConfig simConfig, Integer ioThreads) {
        InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
        keys.add(key, new ApiPrincipal("key_demo", "acct_demo", ApiPrincipal.DEFAULT_TIER, Set.of()));
        List<String> models = ModelCatalog.defaults().models().stream().map(ModelInfo::id).toList();
        List<SimulatedWorker> workers = new ArrayList<>();
        try {
            Bastion.Builder builder = Bastion.builder().host(host).port(port).keyStore(keys);
            if (ioThreads != null) {
                builder.ioThreads(ioThreads);
            }
            for (int i = 0; i < workerCount; i++) {
                SimulatedWorker worker = SimulatedWorker.builder().port(0).models(models).config(simConfig).seed(i + 1)
                        .build().start();
                workers.add(worker);
                builder.workerForAllModels(URI.create(worker.baseUrl()));
            }
            return new DemoGateway(builder.build().start(), workers, key);
        } catch (RuntimeException e) {
            workers.forEach(SimulatedWorker::close);
            throw e;
        }
    }

    Bastion gateway() {
        return gateway;
    }

    List<SimulatedWorker> workers() {
        return workers;
    }

    String key() {
        return key;
    }

    @Override
    public void close() {
        gateway.close();
        workers.forEach(SimulatedWorker::close);
    }
}
