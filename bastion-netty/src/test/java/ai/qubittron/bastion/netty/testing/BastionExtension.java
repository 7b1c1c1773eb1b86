package ai.qubittron.bastion.netty.testing;

import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Boots a real gateway on an ephemeral port in front of simulated GPU workers for a test class, and
 * hands out clients: the official OpenAI SDK and a raw HTTP client.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final BastionExtension gateway = BastionExtension.withWorkers(2);
 * }</pre>
 *
 * Every worker serves every model of the default catalog. The gateway has one key, {@link #key()}.
 *
 * <p>After each test (and its {@code @AfterEach} methods), every scheduler slot its requests took must
 * be given back: each worker of each model back to nothing in flight, no pending prefill tokens and no
 * decoding stream, within {@value #SETTLE_SECONDS} s (a hung-up client's exchange ends on its event
 * loop shortly after the test saw the hang-up). A slot left counted fails the test.
 */
public final class BastionExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    private static final int SETTLE_SECONDS = 10;

    /** The seed of every simulated worker, so tests can compute the expected text. */
    public static final long SEED = 7L;

    private final int workerCount;
    private final SimConfig simConfig;
    private final List<Consumer<Bastion.Builder>> customizers = new ArrayList<>();
    private final List<SimulatedWorker> workers = new ArrayList<>();
    private final InMemoryApiKeyStore keys = new InMemoryApiKeyStore();
    private Bastion gateway;
    private String key;
    private HttpClient http;
    private OpenAIClient openAi;

    private BastionExtension(int workerCount, SimConfig simConfig) {
        this.workerCount = workerCount;
        this.simConfig = simConfig;
    }

    /** A gateway in front of {@code count} fast simulated workers. */
    public static BastionExtension withWorkers(int count) {
        return withWorkers(count, SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(10).interTokenMillis(1).build());
    }

    /** A gateway in front of {@code count} simulated workers with this timing. */
    public static BastionExtension withWorkers(int count, SimConfig config) {
        return new BastionExtension(count, config);
    }

    /** Applies more configuration to the gateway's builder, after the workers are added. */
    public BastionExtension configure(Consumer<Bastion.Builder> customizer) {
        customizers.add(customizer);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Bastion.Builder builder = Bastion.builder().port(0).ioThreads(2).keyStore(keys);
        for (int i = 0; i < workerCount; i++) {
            SimulatedWorker worker = SimulatedWorker.builder()
                    .port(0)
                    .models(ModelCatalog.defaults().models().stream().map(ModelInfo::id).toList())
                    .config(simConfig)
                    .seed(SEED)
                    .eventLoopThreads(1)
                    .build()
                    .start();
            workers.add(worker);
            builder.workerForAllModels(URI.create(worker.baseUrl()));
        }
        customizers.forEach(c -> c.accept(builder));
        key = keys.create(new ApiPrincipal("key_test", "acct_test", ApiPrincipal.DEFAULT_TIER, Set.of()));
        gateway = builder.build().start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        openAi = OpenAIOkHttpClient.builder().baseUrl(gateway.baseUrl()).apiKey(key).maxRetries(0).build();
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
        for (ModelInfo model : ModelCatalog.defaults().models()) {
            for (WorkerState w : gateway.workers(model.id())) {
                while ((w.inFlight() != 0 || w.pendingPrefillTokens() != 0 || w.decodingStreams() != 0)
                        && System.nanoTime() - deadline < 0) {
                    Thread.sleep(5);
                }
                if (w.inFlight() != 0 || w.pendingPrefillTokens() != 0 || w.decodingStreams() != 0) {
                    throw new AssertionError("a scheduler slot leaked on " + model.id() + ": " + w);
                }
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (openAi != null) {
            openAi.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        workers.forEach(SimulatedWorker::close);
        workers.clear();
    }

    /** The running gateway. */
    public Bastion gateway() {
        return gateway;
    }

    /** The gateway's key store, to add more keys. */
    public InMemoryApiKeyStore keys() {
        return keys;
    }

    /** A valid API key. */
    public String key() {
        return key;
    }

    /** The i-th simulated worker. */
    public SimulatedWorker worker(int i) {
        return workers.get(i);
    }

    /** The gateway's live scheduling state of the i-th simulated worker for a model (its catalog id). */
    public WorkerState workerState(String model, int i) {
        String name = URI.create(worker(i).baseUrl()).toString();
        return gateway.workers(model).stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow();
    }

    /** The official OpenAI client pointed at the gateway, with the valid key and no retries. */
    public OpenAIClient openAi() {
        return openAi;
    }

    /** A raw HTTP/1.1 client. */
    public HttpClient http() {
        return http;
    }

    /** {@code http://127.0.0.1:PORT} + path. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.port() + path);
    }

    /** A POST of a JSON body with the valid key. */
    public HttpRequest.Builder post(String path, String json) {
        return HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    /** Sends a request and returns the response with its body as a string. */
    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes raw bytes (UTF-8) to the gateway on a connection of their own, all at once, and reads until the
     * gateway closes it; for requests an HTTP client would not send (pipelined, malformed, oversized).
     */
    public String exchange(String requests) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.UTF_8));
            out.flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(received);
            return received.toString(StandardCharsets.UTF_8);
        }
    }
}
