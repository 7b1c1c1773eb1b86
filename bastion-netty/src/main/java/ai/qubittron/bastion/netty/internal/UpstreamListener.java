package ai.qubittron.bastion.netty.internal;

import io.netty.handler.codec.http.HttpObject;

/**
 * What an upstream connection tells the relay it is currently serving. Called on the event loop that
 * owns both the upstream and the client connection.
 */
interface UpstreamListener {

    /** A decoded part of the upstream's response; ownership passes to the listener. */
    void onUpstreamMessage(HttpObject message);

    /** The end of one batch of reads: the moment to flush what was written to the client. */
    void onUpstreamReadComplete();

    /** The upstream connection closed (or failed) while serving this listener; it is detached already. */
    void onUpstreamClosed(Throwable cause);

    /**
     * Nothing moved either way on the connection for the idle timeout. The listener decides who is
     * stuck and closes what must be closed; the connection stays attached until then.
     */
    void onUpstreamIdle();

    /** The connection's writability changed (an upload relayed to it pauses while it is not writable). */
    default void onUpstreamWritabilityChanged() {
    }
}
