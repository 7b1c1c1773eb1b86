package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.inspect.MultipartScanner;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A {@code multipart/form-data} request body (a transcription's audio upload) relayed as it arrives:
 * the gateway never holds the whole upload.
 *
 * <ol>
 *   <li><b>Scanning.</b> The body is read by a {@link MultipartScanner} until its {@code model} field is
 *       complete, for routing and admission. What came until then (the audio, when the client sent the
 *       file first, as the OpenAI SDKs do) is held: up to {@value #MEMORY_BYTES} bytes as the received
 *       buffers, beyond that in a temporary file, written by one background thread, never by an event
 *       loop. Reading pauses while that thread is more than {@value #MAX_SPOOLING_BYTES} bytes behind.</li>
 *   <li><b>Admitting.</b> Reading pauses while the request is admitted and a worker picked.</li>
 *   <li><b>Forwarding.</b> {@link #sendTo} writes the upstream request's head, then what was held (from
 *       memory, or the file by {@code sendfile}), with the {@code model} value replaced when the client
 *       used an alias, then the rest of the body as it arrives, pausing the client while the upstream
 *       connection is not writable.</li>
 * </ol>
 *
 * <p>The body may not exceed the upload limit: {@link GatewayHandler} answers 413 at once for a
 * {@code Content-Length} above it, and this class reports a chunked body as soon as it crosses it.
 *
 * <p>Thread role: the client connection's event loop, except the file writes. Ownership: the contents
 * passed to {@link #onContent} are owned here; {@link #close} releases what is held and deletes the file.
 */
final class Upload {

    private static final Logger LOG = Logger.getLogger(Upload.class.getName());

    /** Bytes held in memory while the model field has not come; beyond, the upload goes to a file. */
    static final int MEMORY_BYTES = 1024 * 1024;
    /** Bytes handed to the file writer and not yet written, beyond which the client is paused. */
    static final int MAX_SPOOLING_BYTES = 4 * 1024 * 1024;
    /** Longest {@code model} value read. */
    private static final int MAX_MODEL_BYTES = 256;

    /** One daemon thread for every upload's file writes, started on demand and gone when idle. */
    private static final Executor SPOOLER = spooler();

    /** What the handler is told about the upload. */
    interface Listener {
        /** The {@code model} field is complete; reading is paused until {@link #sendTo}. */
        void uploadModel(String model);

        /** The body is not acceptable: {@code status} 400 (not multipart), 413 (too large) or 503 (no room to hold it). */
        void uploadFailed(int status, String message);
    }

    private enum Phase { SCANNING, ADMITTING, FORWARDING, CLOSED }

    private final Listener listener;
    private final Channel client;
    private final long maxBytes;
    private final MultipartScanner scanner;

    private Phase phase = Phase.SCANNING;
    private long received;
    private boolean ended;
    private String model;
    /** What was held: in memory ({@code held}) or, once spooling began, in {@code spool}. */
    private CompositeByteBuf held;
    private Spool spool;
    /** Bytes given to the file writer and not yet written (event loop's count). */
    private long spooling;
    private boolean spoolFailed;
    private Channel upstream;
    private byte[] replacement;
    /** Whether bytes that are not held were sent upstream (the request can no longer be sent again). */
    private boolean liveSent;
    private boolean lastSent;
    /** A {@link #sendTo} waiting for the file writer to catch up. */
    private Runnable whenSpooled;

    Upload(Listener listener, Channel client, String boundary, long maxBytes) {
        this.listener = listener;
        this.client = client;
        this.maxBytes = maxBytes;
        this.scanner = new MultipartScanner(boundary, "model", MAX_MODEL_BYTES);
        this.held = client.alloc().compositeBuffer(Integer.MAX_VALUE);
    }

    Listener listener() {
        return listener;
    }

    /** Whether the upload was closed (answered, or its connection gone). */
    boolean closed() {
        return phase == Phase.CLOSED;
    }

    /** Bytes of the body received so far. */
    long received() {
        return received;
    }

    /** Whether the whole body has been received. */
    boolean ended() {
        return ended;
    }

    /** Whether the whole body was sent upstream. */
    boolean fullySent() {
        return lastSent;
    }

    /** Whether the request can be sent again (to another connection or worker): nothing but what is held has gone. */
    boolean resendable() {
        return !liveSent && phase != Phase.CLOSED && !spoolFailed;
    }

    /** One part of the body, in order; owned from here. */
    void onContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        received += content.content().readableBytes();
        if (last) {
            ended = true;
        }
        if (phase == Phase.CLOSED) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            // a chunk the HTTP decoder could not read: the rest of the body is lost
            content.release();
            listener.uploadFailed(400, "The HTTP request is malformed: its body's framing is broken.");
            return;
        }
        if (received > maxBytes) {
            content.release();
            listener.uploadFailed(413, "The upload is larger than the " + maxBytes + " bytes this endpoint accepts.");
            return;
        }
        if (phase == Phase.FORWARDING) {
            forward(content);
            return;
        }
        int scanned = scanner.feed(content.content());
        if (phase == Phase.ADMITTING && scanned == MultipartScanner.FAILED) {
            content.release();
            listener.uploadFailed(400, "We could not parse the multipart/form-data body: " + scanner.error());
            return;
        }
        hold(content.content());
        if (phase != Phase.SCANNING) {
            return;
        }
        if (scanned == MultipartScanner.MORE && last) {
            scanned = scanner.finish();
        }
        switch (scanned) {
            case MultipartScanner.FOUND, MultipartScanner.COMPLETE -> {
                // (COMPLETE: the whole form, model and closing delimiter, came in what was read so far)
                phase = Phase.ADMITTING;
                model = scanner.value();
                client.config().setAutoRead(false);
                listener.uploadModel(model);
            }
            case MultipartScanner.FAILED ->
                    listener.uploadFailed(400, "We could not parse the multipart/form-data body: " + scanner.error());
            case MultipartScanner.ABSENT -> listener.uploadFailed(400, "Missing required parameter: 'model'.");
            default -> {
                // more to come
            }
        }
    }

    /** Holds a buffer (owned from here) until the request is sent upstream. */
    private void hold(ByteBuf bytes) {
        if (spool == null && held.readableBytes() + bytes.readableBytes() <= MEMORY_BYTES) {
            held.addComponent(true, bytes);
            return;
        }
        if (spool == null) {
            spool = new Spool();
            ByteBuf inMemory = held;
            held = null;
            spoolWrite(inMemory);
        }
        spoolWrite(bytes);
    }

    private void spoolWrite(ByteBuf bytes) {
        int n = bytes.readableBytes();
        spooling += n;
        if (spooling > MAX_SPOOLING_BYTES) {
            client.config().setAutoRead(false);
        }
        Spool target = spool;
        SPOOLER.execute(() -> {
            boolean ok = target.write(bytes);
            client.eventLoop().execute(() -> spooled(n, ok));
        });
    }

    private void spooled(int n, boolean ok) {
        spooling -= n;
        if (phase == Phase.CLOSED) {
            return;
        }
        if (!ok && !spoolFailed) {
            spoolFailed = true;
            listener.uploadFailed(503, "The gateway has no room to hold the upload; retry the request.");
            return;
        }
        if (spooling <= MAX_SPOOLING_BYTES / 2 && phase == Phase.SCANNING) {
            client.config().setAutoRead(true);
        }
        if (spooling == 0 && whenSpooled != null) {
            Runnable next = whenSpooled;
            whenSpooled = null;
            next.run();
        }
    }

    /**
     * The length of the body the upstream gets: the client's {@code Content-Length} with the model value
     * replaced by {@code upstreamName}, or -1 for a chunked one.
     */
    long upstreamLength(long clientLength, String upstreamName) {
        replacement = upstreamName.equals(model) ? null : upstreamName.getBytes(StandardCharsets.UTF_8);
        if (clientLength < 0) {
            return -1;
        }
        return replacement == null ? clientLength
                : clientLength + replacement.length - (scanner.valueEnd() - scanner.valueStart());
    }

    /**
     * Sends the request upstream: {@code head}, what is held, and from then on the body as it arrives.
     * May be called again on another connection while {@link #resendable()}.
     */
    void sendTo(Channel ch, HttpRequest head) {
        upstream = ch;
        if (spooling > 0) {
            // the file is not complete yet: send once it is
            whenSpooled = () -> sendTo(ch, head);
            return;
        }
        if (phase == Phase.CLOSED || upstream != ch || !ch.isActive()) {
            return;
        }
        ch.write(head, ch.voidPromise());
        if (spool != null) {
            writeSpooled(ch);
        } else {
            writeHeld(ch);
        }
        phase = Phase.FORWARDING;
        lastSent = ended;
        if (ended) {
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else {
            ch.flush();
            resume();
        }
    }

    private void writeHeld(Channel ch) {
        int length = held.readableBytes();
        int base = held.readerIndex();
        if (replacement == null) {
            ch.write(new DefaultHttpContent(held.retainedSlice(base, length)), ch.voidPromise());
            return;
        }
        int start = (int) scanner.valueStart();
        int end = (int) scanner.valueEnd();
        ch.write(new DefaultHttpContent(held.retainedSlice(base, start)), ch.voidPromise());
        ch.write(new DefaultHttpContent(Unpooled.wrappedBuffer(replacement)), ch.voidPromise());
        ch.write(new DefaultHttpContent(held.retainedSlice(base + end, length - end)), ch.voidPromise());
    }

    private void writeSpooled(Channel ch) {
        long length = spool.length;
        if (replacement == null) {
            ch.write(spool.region(0, length), ch.voidPromise());
            return;
        }
        long start = scanner.valueStart();
        long end = scanner.valueEnd();
        ch.write(spool.region(0, start), ch.voidPromise());
        ch.write(new DefaultHttpContent(Unpooled.wrappedBuffer(replacement)), ch.voidPromise());
        ch.write(spool.region(end, length - end), ch.voidPromise());
    }

    private void forward(HttpContent content) {
        if (scanner.feed(content.content()) == MultipartScanner.FAILED) {
            // e.g. a second model field: the gateway and the worker could read different ones
            content.release();
            listener.uploadFailed(400, "We could not parse the multipart/form-data body: " + scanner.error());
            return;
        }
        Channel ch = upstream;
        if (ch == null || !ch.isActive()) {
            if (!liveSent) {
                // the connection went before any of the rest was sent: keep it with what is held, so the
                // request can still go whole to another connection (sendTo sends all that is held)
                hold(content.content());
            } else {
                content.release();
            }
            return;
        }
        liveSent = true;
        boolean last = content instanceof LastHttpContent;
        lastSent = last;
        ch.writeAndFlush(content).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (!ch.isWritable()) {
            client.config().setAutoRead(false);
        }
    }

    /** Reads on while the model field has not come (a pipelined upload starts with reading paused). */
    void resumeScanning() {
        if (phase == Phase.SCANNING && spooling <= MAX_SPOOLING_BYTES / 2) {
            client.config().setAutoRead(true);
        }
    }

    /** The upstream connection's writability changed: the client reads again once it can be relayed. */
    void upstreamWritabilityChanged() {
        resume();
    }

    private void resume() {
        if (phase == Phase.FORWARDING && !ended && upstream != null && upstream.isWritable()) {
            client.config().setAutoRead(true);
        }
    }

    /** Releases what is held and deletes the file; later contents are dropped. */
    void close() {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        upstream = null;
        whenSpooled = null;
        if (held != null) {
            held.release();
            held = null;
        }
        if (spool != null) {
            Spool s = spool;
            SPOOLER.execute(s::delete);
        }
    }

    /** A temporary file holding the start of an upload; its methods but {@link #region} run on the spooler. */
    private static final class Spool {
        private Path path;
        private FileChannel file;
        private boolean failed;
        /** Bytes written; read on the event loop only once every write is done (handed over by the executor). */
        private long length;

        boolean write(ByteBuf bytes) {
            try {
                if (failed) {
                    return false;
                }
                if (file == null) {
                    path = Files.createTempFile("bastion-upload-", ".part");
                    file = FileChannel.open(path, StandardOpenOption.WRITE);
                }
                while (bytes.isReadable()) {
                    length += bytes.readBytes(file, length, bytes.readableBytes());
                }
                return true;
            } catch (IOException e) {
                failed = true;
                LOG.log(Level.WARNING, "could not hold an upload in a temporary file", e);
                return false;
            } finally {
                bytes.release();
            }
        }

        /** A region of the file, sent with {@code sendfile}; it opens the file itself. */
        DefaultFileRegion region(long position, long count) {
            return new DefaultFileRegion(path.toFile(), position, count);
        }

        void delete() {
            try {
                if (file != null) {
                    file.close();
                }
                if (path != null) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "could not delete the temporary file of an upload: " + path, e);
            }
        }
    }

    private static Executor spooler() {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory("bastion-upload-spool", true));
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
