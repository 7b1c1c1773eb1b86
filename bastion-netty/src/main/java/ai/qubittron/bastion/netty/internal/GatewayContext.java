package ai.qubittron.bastion.netty.internal;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.scheduler.Scheduler;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Everything the connections of one gateway share: configuration, the catalog and the scheduler, the key
 * store, the meters, the usage recorder, and the upstream pools, one per event loop. Immutable but for the pools, which are each
 * confined to their loop.
 */
public final class GatewayContext {

    private static final JsonFactory JSON = new JsonFactory();

    private final ModelCatalog catalog;
    private final Scheduler scheduler;
    private final ApiKeyStore keyStore;
    private final Transport transport;
    private final int maxRequestBytes;
    private final long maxUploadBytes;
    private final int connectTimeoutMillis;
    private final int maxIdlePerWorker;
    private final long upstreamIdleTimeoutMillis;
    private final long responseHeadTimeoutNanos;
    private final long saturationWaitNanos;
    private final long requestReadTimeoutNanos;
    private final long clientIdleTimeoutNanos;
    private final FastThreadLocal<UpstreamPool> pools = new FastThreadLocal<>();
    /** Every client connection, for the drain on close (a closed one leaves by itself). */
    private final ChannelGroup connections = new DefaultChannelGroup("bastion-clients", GlobalEventExecutor.INSTANCE);
    private volatile boolean draining;
    private final Admission admission;
    private final GatewayMeters meters;
    /** What this node saw of its traffic, for the admin API. */
    private final UsageRecorder usage = new UsageRecorder();

    public GatewayContext(ModelCatalog catalog, Scheduler scheduler, ApiKeyStore keyStore, Admission admission,
                          GatewayMeters meters, Transport transport, int maxRequestBytes, long maxUploadBytes,
                          int connectTimeoutMillis,
                          int maxIdlePerWorker, long upstreamIdleTimeoutMillis, long responseHeadTimeoutNanos,
                          long saturationWaitNanos, long requestReadTimeoutNanos, long clientIdleTimeoutNanos) {
        this.catalog = catalog;
        this.meters = meters;
        this.scheduler = scheduler;
        this.keyStore = keyStore;
        this.admission = admission;
        this.transport = transport;
        this.maxRequestBytes = maxRequestBytes;
        this.maxUploadBytes = maxUploadBytes;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.maxIdlePerWorker = maxIdlePerWorker;
        this.upstreamIdleTimeoutMillis = upstreamIdleTimeoutMillis;
        this.responseHeadTimeoutNanos = responseHeadTimeoutNanos;
        this.saturationWaitNanos = saturationWaitNanos;
        this.requestReadTimeoutNanos = requestReadTimeoutNanos;
        this.clientIdleTimeoutNanos = clientIdleTimeoutNanos;
    }

    /** From the first byte of a client's request to the whole request received. */
    long requestReadTimeoutNanos() {
        return requestReadTimeoutNanos;
    }

    /** How long a kept-alive client connection may wait for its next request. */
    long clientIdleTimeoutNanos() {
        return clientIdleTimeoutNanos;
    }

    public ModelCatalog catalog() {
        return catalog;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public GatewayMeters meters() {
        return meters;
    }

    /** {@return the node's usage recorder (settled usage, limits use, last use, latency)} */
    public UsageRecorder usage() {
        return usage;
    }

    /** Whether some worker serves the model (canonical id). */
    private boolean serves(String modelId) {
        return !scheduler.workers(modelId).isEmpty();
    }

    ApiKeyStore keyStore() {
        return keyStore;
    }

    Admission admission() {
        return admission;
    }

    int maxRequestBytes() {
        return maxRequestBytes;
    }

    /** Every open client connection. */
    ChannelGroup connections() {
        return connections;
    }

    /** Whether the gateway is shutting down: requests in flight finish, no new one is taken. */
    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    /** A gateway started again after a stop takes requests again. */
    public void stopDraining() {
        draining = false;
    }

    /** The largest upload (a transcription's multipart body). */
    long maxUploadBytes() {
        return maxUploadBytes;
    }

    long upstreamIdleTimeoutMillis() {
        return upstreamIdleTimeoutMillis;
    }

    /** How long a streamed request waits for the worker's response head before it is tried elsewhere. */
    long responseHeadTimeoutNanos() {
        return responseHeadTimeoutNanos;
    }

    /** How long a request waits for a worker while every worker of its model is saturated, before 503. */
    long saturationWaitNanos() {
        return saturationWaitNanos;
    }

    /** The pool of the calling event loop; must be called on {@code loop}. */
    UpstreamPool pool(EventLoop loop) {
        UpstreamPool pool = pools.get();
        if (pool == null) {
            // the loop's own transport: a host's loops (a shared group, a mounted gateway) may be NIO
            pool = new UpstreamPool(loop, Transport.of(loop), connectTimeoutMillis, maxIdlePerWorker, upstreamIdleTimeoutMillis);
            pools.set(pool);
        }
        return pool;
    }

    /**
     * The {@code /v1/models} body for this principal: the models that have workers now and that it may
     * use. Built for each call, as workers come and go at run time.
     */
    byte[] models(ApiPrincipal principal) {
        return modelsJson(catalog.models(), principal);
    }

    /** The {@code /v1/models/{id}} body, or {@code null} when the principal cannot see that model. */
    byte[] model(ApiPrincipal principal, String name) {
        ModelInfo model = catalog.find(name);
        if (model == null || !serves(model.id()) || !principal.mayUse(model.id())) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writeModel(g, model);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private byte[] modelsJson(List<ModelInfo> models, ApiPrincipal principal) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (ModelInfo model : models) {
                if (serves(model.id()) && principal.mayUse(model.id())) {
                    writeModel(g, model);
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeModel(JsonGenerator g, ModelInfo model) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", model.id());
        g.writeStringField("object", "model");
        g.writeNumberField("created", model.created());
        g.writeStringField("owned_by", model.ownedBy());
        g.writeEndObject();
    }
}
