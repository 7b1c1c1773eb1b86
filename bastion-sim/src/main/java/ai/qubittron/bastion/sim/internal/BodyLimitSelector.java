package ai.qubittron.bastion.sim.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Puts in front of the handler, at the head of each request, the aggregator whose limit fits the
 * request's path: a transcription upload may be {@link SimPipeline#MAX_UPLOAD_BYTES} long, every other
 * body {@link SimPipeline#MAX_BODY_BYTES}. Beyond its limit the aggregator answers 413 (before reading
 * the body when {@code Content-Length} says so).
 *
 * <p>Thread role: one instance per channel, all calls on its event loop. Passes every message on
 * unchanged, taking no ownership.
 */
final class BodyLimitSelector extends ChannelInboundHandlerAdapter {

    private boolean uploadLimit;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            boolean upload = isUpload(request.uri());
            if (upload != uploadLimit) {
                // a new request head: the aggregator being replaced holds no part of a message
                ctx.pipeline().replace(SimPipeline.AGGREGATOR, SimPipeline.AGGREGATOR, SimPipeline.aggregator(upload));
                uploadLimit = upload;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private static boolean isUpload(String uri) {
        int query = uri.indexOf('?');
        return (query < 0 ? uri : uri.substring(0, query)).equals(SimHttpHandler.TRANSCRIPTIONS_PATH);
    }
}
