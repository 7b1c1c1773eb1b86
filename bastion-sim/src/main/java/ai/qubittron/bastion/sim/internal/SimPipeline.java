package ai.qubittron.bastion.sim.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.Set;

/**
 * Names and builds the pipeline of a worker connection:
 * <pre>
 *   socket ⇄ {@value #HTTP_CODEC} (HttpServerCodec)
 *          ⇄ {@value #BODY_LIMIT} (BodyLimitSelector: puts in the aggregator that fits each request's path)
 *          ⇄ {@value #AGGREGATOR} (HttpObjectAggregator, {@value #MAX_BODY_BYTES} bytes at most, or
 *                        {@value #MAX_UPLOAD_BYTES} for a transcription upload: 413 beyond)
 *          ⇄ {@value #SIM_HANDLER} (SimHttpHandler: routing, generation, audio, admin)
 * </pre>
 * The initializer is sharable and runs on the new channel's event loop; it also registers the channel
 * in the worker's set of open connections (removed when it closes), so
 * {@code refuseConnections(true)} can close them.
 */
public final class SimPipeline extends ChannelInitializer<Channel> {

    /** The HTTP/1.1 server codec. */
    public static final String HTTP_CODEC = "httpCodec";
    /** Swaps the aggregator for one whose limit fits the next request's path. */
    public static final String BODY_LIMIT = "bodyLimit";
    /** Aggregates a request into a FullHttpRequest (the body in a CompositeByteBuf, not copied). */
    public static final String AGGREGATOR = "aggregator";
    /** The simulated worker. */
    public static final String SIM_HANDLER = "sim";
    /** Largest request body accepted, but for transcription uploads. */
    public static final int MAX_BODY_BYTES = 32 * 1024 * 1024;
    /**
     * Largest {@code /v1/audio/transcriptions} body accepted: 64 MiB of audio and room for the form's
     * other parts (a gateway in front usually caps uploads lower, at OpenAI's 25 MB).
     */
    public static final int MAX_UPLOAD_BYTES = 65 * 1024 * 1024;

    private final SimEngine engine;
    private final Set<Channel> openConnections;

    public SimPipeline(SimEngine engine, Set<Channel> openConnections) {
        this.engine = engine;
        this.openConnections = openConnections;
    }

    @Override
    protected void initChannel(Channel ch) {
        openConnections.add(ch);
        ch.closeFuture().addListener(f -> openConnections.remove(ch));
        ChannelPipeline p = ch.pipeline();
        addHttpCodec(p);
        addSimHandler(p);
    }

    private static void addHttpCodec(ChannelPipeline p) {
        p.addLast(HTTP_CODEC, new HttpServerCodec());
        p.addLast(BODY_LIMIT, new BodyLimitSelector());
        p.addLast(AGGREGATOR, aggregator(false));
    }

    /** An aggregator limited to {@link #MAX_UPLOAD_BYTES} for an upload, else to {@link #MAX_BODY_BYTES}. */
    static HttpObjectAggregator aggregator(boolean upload) {
        return new HttpObjectAggregator(upload ? MAX_UPLOAD_BYTES : MAX_BODY_BYTES);
    }

    private void addSimHandler(ChannelPipeline p) {
        p.addLast(SIM_HANDLER, new SimHttpHandler(engine));
    }
}
