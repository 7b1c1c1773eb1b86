package ai.qubittron.bastion.netty.internal;

import ai.qubittron.bastion.core.admission.AudioMetering;
import ai.qubittron.bastion.core.admission.Billing;
import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.error.ErrorBodies;
import ai.qubittron.bastion.core.error.ErrorKind;
import ai.qubittron.bastion.core.inspect.InspectedRequest;
import ai.qubittron.bastion.core.inspect.RequestRewriter;
import ai.qubittron.bastion.core.metering.JsonSplice;
import ai.qubittron.bastion.core.metering.RelayMeter;
import ai.qubittron.bastion.core.metering.ResponseInspector;
import ai.qubittron.bastion.core.scheduler.Lease;
import ai.qubittron.bastion.core.scheduler.WorkerState;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimitDecision;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.ReadOnlyHttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One model request relayed to one upstream worker and its response relayed back: the hot path.
 *
 * <p>The request body is forwarded from the received buffers (retained slices; only the {@code model}
 * value is replaced when the client used an alias). A transcription's upload is sent by its
 * {@link Upload} as it arrives; it can move to another connection or worker only while nothing but what
 * the upload holds has gone. Speech audio is relayed as it comes, byte for byte. A streamed response is cut into SSE events and
 * each event is written to the client as soon as it is whole; a non-streamed one is gathered as a
 * composite of the received buffers. Both are watched for usage and token timing, and {@code x_metrics}
 * is spliced into the final object: the usage chunk, or the last chunk that finished a choice, or the
 * Responses {@code response.completed} event, or the non-streamed body.
 *
 * <p>Thread role: everything runs on the event loop of the client connection, which also owns the
 * upstream connection. Ownership: the exchange owns {@code request} from construction and releases it
 * exactly once, in {@link #complete()} or {@link #clientClosed()} (an upload is the handler's); every upstream message handed to it
 * is released here.
 *
 * <p>Usage ({@link UsageRecorder}): the settlement is recorded per key and model when the ledger answers
 * it (with what it charged; a gateway without a ledger records the tokens, at no cost); the TTFT and
 * output tokens per model when the request ends.
 *
 * <p>Meters ({@link GatewayMeters}): the request is counted once, when it ends, with the status the client
 * was answered; streams record TTFT and tokens per second; and the gateway's own time is summed in
 * segments: it runs from the whole request received, pauses while the request waits for a saturated
 * model's worker, while a new upstream connection is being established and after the request is written
 * upstream (the worker's time), and resumes when the connection is there or the request moves to another
 * worker or connection.
 */
final class Exchange implements UpstreamListener, SseFramer.Listener {

    private static final AsciiString TEXT_EVENT_STREAM = AsciiString.cached("text/event-stream");
    private static final AsciiString ANY = AsciiString.cached("*/*");
    private static final byte[] LINE_FEED = {'\n'};
    /** Connections tried on one worker: a reused one the worker had closed, then a fresh one. */
    private static final int MAX_ATTEMPTS = 2;
    /** Workers tried for one request before it fails (only while nothing was sent to the client). */
    private static final int MAX_WORKERS_TRIED = 3;
    private static final int MAX_BUFFERED_RESPONSE_BYTES = 64 * 1024 * 1024;
    /** {@code Retry-After} of the 503 that ends a wait for a saturated model. */
    private static final int SATURATED_RETRY_AFTER_SECONDS = 1;

    /** First and longest pause between two picks while every worker of the model is saturated. */
    private static final long FIRST_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long MAX_WAIT_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * Where the exchange is. The response is relayed in one of three ways: STREAMING (SSE, cut into events
     * and metered), BUFFERING (gathered whole: JSON, an error, a transcript) or PASSING (audio from text to
     * speech: relayed as it comes, byte for byte).
     */
    private enum State { WAITING, CONNECTING, AWAITING_HEAD, STREAMING, BUFFERING, PASSING, DRAINING, DONE }

    private final GatewayHandler owner;
    private final ChannelHandlerContext ctx;
    private final GatewayContext gateway;
    /** The client's request: a {@link FullHttpRequest} with its JSON body, or the head of an upload. */
    private final HttpRequest request;
    /** The body of a transcription, relayed as it arrives; {@code null} for a JSON request. Owned by the handler. */
    private final Upload upload;
    private final InspectedRequest inspected;
    private final ModelInfo model;
    private final ApiPrincipal principal;
    private final String requestId;
    private final RelayMeter meter;
    private final ResponseInspector responseInspector;
    private final RateLimitDecision limit;
    private final Billing billing;
    /** The prompt's tokens as admission estimated them: what a response without usage is billed for. */
    private final long promptTokenEstimate;
    private final long imposedOutputLimit;
    private final ByteBufAllocator alloc;
    private final GatewayMeters.RequestMeters meters;

    private State state = State.CONNECTING;
    /** This request's claim on a worker, filled again by each pick (failover re-picks once it is released). */
    private final Lease lease = new Lease();
    private Set<WorkerState> tried;
    private String lastFailure;
    private UpstreamWorker worker;
    private Channel upstream;
    private int attempts;
    private HttpResponseStatus upstreamStatus;
    private HttpHeaders upstreamHeaders;
    private boolean upstreamKeepAlive;
    private CompositeByteBuf buffered;
    private SseFramer framer;
    /** A stream's response head, written with its first event: until then the client has nothing and the request can move. */
    private HttpResponse streamHead;
    private ByteBuf held;
    private boolean metricsSent;
    /** Whether the request is waiting for a saturated model's worker, since when, and the next pause. */
    private boolean waiting;
    private long waitingSinceNanos;
    private long waitStepNanos;
    /** The pending re-pick while WAITING, or the response-head deadline while AWAITING_HEAD a stream. */
    private ScheduledFuture<?> timer;
    /** The status the client was answered (0: none yet). */
    private int answeredStatus;
    private boolean streamed;
    private boolean streamEnded;
    /** The gateway's own time so far, and when the running segment of it began (see the class comment). */
    private long ownNanos;
    private long ownSince;
    private boolean written;
    private boolean metered;
    private boolean billed;
    /** A transcription's reported audio duration in seconds, or -1. */
    private double audioSeconds = -1;

    Exchange(GatewayHandler owner, ChannelHandlerContext ctx, GatewayContext gateway, HttpRequest request, Upload upload,
             InspectedRequest inspected, ModelInfo model, ApiPrincipal principal, String requestId, long startNanos,
             ResponseInspector responseInspector, RateLimitDecision limit, Billing billing, long promptTokenEstimate,
             long imposedOutputLimit) {
        this.owner = owner;
        this.ctx = ctx;
        this.gateway = gateway;
        this.request = request;
        this.upload = upload;
        this.inspected = inspected;
        this.model = model;
        this.principal = principal;
        this.requestId = requestId;
        this.meter = new RelayMeter(startNanos);
        this.responseInspector = responseInspector;
        this.limit = limit;
        this.billing = billing;
        this.promptTokenEstimate = promptTokenEstimate;
        this.imposedOutputLimit = imposedOutputLimit;
        this.alloc = ctx.alloc();
        this.meters = gateway.meters().requests(model.id(), GatewayMeters.EndpointTag.of(inspected.endpoint()));
        this.ownSince = startNanos;
    }

    /**
     * Picks a worker, connects (or reuses a connection) and sends the request. When every worker that is
     * up is saturated, picks again after short pauses (2 ms doubling to 50 ms) for at most the
     * saturation wait, then answers 503 with {@code Retry-After}.
     */
    void start() {
        if (!gateway.scheduler().pick(model.id(), (inspected.bodyBytes() + 3L) / 4, tried, lease)) {
            if (gateway.scheduler().saturated(model.id(), tried)) {
                waitForCapacity();
            } else {
                fail(ErrorKind.UPSTREAM_ERROR, lastFailure != null ? lastFailure
                        : "No upstream worker for the model '" + model.id() + "' is available.");
            }
            return;
        }
        waiting = false;
        if (tried != null) {
            gateway.meters().retried(model.id(), true);
        }
        worker = (UpstreamWorker) lease.endpoint();
        attempts = 0;
        connect(false);
    }

    private void waitForCapacity() {
        long now = System.nanoTime();
        if (!waiting) {
            waiting = true;
            waitingSinceNanos = now;
            waitStepNanos = FIRST_WAIT_NANOS;
        }
        long left = gateway.saturationWaitNanos() - (now - waitingSinceNanos);
        if (left <= 0) {
            fail(ErrorKind.SERVICE_UNAVAILABLE, "Every upstream worker for the model '" + model.id()
                    + "' is at capacity. Retry after " + SATURATED_RETRY_AFTER_SECONDS + " s.");
            return;
        }
        state = State.WAITING;
        ownNanos += now - ownSince; // queueing for a worker is not the gateway's own time
        long pause = Math.min(waitStepNanos, left);
        waitStepNanos = Math.min(waitStepNanos * 2, MAX_WAIT_STEP_NANOS);
        timer = ctx.channel().eventLoop().schedule(this::retryPick, pause, TimeUnit.NANOSECONDS);
    }

    private void retryPick() {
        timer = null;
        if (state == State.WAITING) {
            ownSince = System.nanoTime();
            start();
        }
    }

    /**
     * The worker failed this request before anything reached the client: count it against the worker
     * (its circuit may open) and, while there are others to try, send the request to another one.
     */
    private void failOver(String failure) {
        cancelTimer();
        lease.failed();
        lastFailure = failure;
        if (upload != null && !upload.resendable()) {
            // part of the upload went to this worker and is not held any more: it cannot be sent again
            fail(ErrorKind.UPSTREAM_ERROR, failure);
            return;
        }
        if (tried == null) {
            tried = new HashSet<>(4);
        }
        tried.add(lease.worker());
        if (tried.size() >= MAX_WORKERS_TRIED) {
            fail(ErrorKind.UPSTREAM_ERROR, failure);
            return;
        }
        ownSince = System.nanoTime();
        start();
    }

    private void connect(boolean fresh) {
        attempts++;
        state = State.CONNECTING;
        UpstreamPool pool = gateway.pool(ctx.channel().eventLoop());
        Future<Channel> acquired = pool.acquire(worker, fresh);
        if (acquired.isDone()) {
            connected(acquired);
        } else {
            // a new connection: the time it takes to be established is the network's, not the gateway's
            ownNanos += System.nanoTime() - ownSince;
            acquired.addListener(f -> {
                ownSince = System.nanoTime();
                connected(acquired);
            });
        }
    }

    private void connected(Future<Channel> acquired) {
        if (!acquired.isSuccess()) {
            if (state != State.DONE) {
                failOver("The upstream model server for '" + model.id() + "' is unreachable.");
            }
            return;
        }
        Channel ch = acquired.getNow();
        if (state == State.DONE) {
            // the client went away while we connected: the connection is clean, keep it
            gateway.pool(ctx.channel().eventLoop()).release(worker, ch, true);
            return;
        }
        upstream = ch;
        UpstreamPool.attach(ch, this);
        state = State.AWAITING_HEAD;
        if (upload != null) {
            sendUpload(ch);
        } else {
            sendJson(ch);
        }
        // the connection is on this event loop: the request (or what there is of it) has been handed to the socket
        ownNanos += System.nanoTime() - ownSince;
        written = true;
        cancelTimer();
        if (inspected.stream()) {
            // a streaming server answers its head before the first token; a silent one is stuck or overloaded
            timer = ctx.channel().eventLoop().schedule(this::headTimedOut, gateway.responseHeadTimeoutNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    private void sendJson(Channel ch) {
        ByteBuf body = upstreamBody();
        // every name and value is the gateway's own (none from the client): nothing to validate, and a
        // read-only array of them costs no header map per request
        HttpHeaders headers = new ReadOnlyHttpHeaders(false,
                HttpHeaderNames.HOST, worker.hostHeader(),
                HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON,
                HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.readableBytes()),
                HttpHeaderNames.ACCEPT, inspected.stream() ? TEXT_EVENT_STREAM
                        : inspected.endpoint() == Endpoint.TEXT_TO_SPEECH ? ANY : HttpHeaderValues.APPLICATION_JSON,
                HttpResponses.X_REQUEST_ID, requestId);
        DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                inspected.endpoint().upstreamPath(), headers);
        ch.write(head, ch.voidPromise());
        ch.writeAndFlush(new DefaultLastHttpContent(body, EmptyHttpHeaders.INSTANCE))
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** Sends a transcription: the head, then its body as the {@link Upload} has it and as it arrives. */
    private void sendUpload(Channel ch) {
        long length = upload.upstreamLength(HttpUtil.getContentLength(request, -1L), model.upstreamName());
        // the content type is the client's (its boundary frames the body), already checked by the HTTP decoder
        HttpHeaders headers = new ReadOnlyHttpHeaders(false,
                HttpHeaderNames.HOST, worker.hostHeader(),
                HttpHeaderNames.CONTENT_TYPE, request.headers().get(HttpHeaderNames.CONTENT_TYPE),
                length >= 0 ? HttpHeaderNames.CONTENT_LENGTH : HttpHeaderNames.TRANSFER_ENCODING,
                length >= 0 ? Long.toString(length) : HttpHeaderValues.CHUNKED,
                HttpHeaderNames.ACCEPT, ANY,
                HttpResponses.X_REQUEST_ID, requestId);
        upload.sendTo(ch, new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, inspected.endpoint().upstreamPath(),
                headers));
    }

    /** The upload failed as it arrived (too large, or not multipart): the client is answered, the worker dropped. */
    void abandon(ErrorKind kind, String message) {
        fail(kind, message);
    }

    private void headTimedOut() {
        timer = null;
        if (state != State.AWAITING_HEAD) {
            return;
        }
        abortUpstream();
        meter.restartResponse();
        failOver("The upstream model server did not answer within "
                + TimeUnit.NANOSECONDS.toMillis(gateway.responseHeadTimeoutNanos()) + " ms.");
    }

    private void cancelTimer() {
        ScheduledFuture<?> t = timer;
        timer = null;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** The body to send upstream: the client's bytes, spliced only where {@link RequestRewriter} must. */
    private ByteBuf upstreamBody() {
        return RequestRewriter.rewrite(alloc, ((FullHttpRequest) request).content(), inspected, model.upstreamName(), imposedOutputLimit);
    }

    @Override
    public void onUpstreamMessage(HttpObject message) {
        try {
            if (state == State.DONE) {
                return;
            }
            if (message.decoderResult().isFailure()) {
                // the connection's decoder is now in an unknown state: never reuse it
                abortUpstream();
                lease.failed();
                fail(ErrorKind.UPSTREAM_ERROR, "The upstream model server sent a malformed response.");
                return;
            }
            if (message instanceof HttpResponse response) {
                onHead(response);
            }
            if (message instanceof HttpContent content && state != State.DONE && state != State.AWAITING_HEAD) {
                // (content while still AWAITING_HEAD is the empty end of a 1xx interim response)
                onContent(content);
                if (state != State.DONE && content instanceof LastHttpContent) {
                    onEnd();
                }
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    private void onHead(HttpResponse response) {
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            return;
        }
        cancelTimer();
        upstreamStatus = response.status();
        upstreamHeaders = response.headers();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        meter.firstByte(System.nanoTime());
        String contentType = upstreamHeaders.get(HttpHeaderNames.CONTENT_TYPE, "");
        if (upstreamStatus.code() >= 500) {
            state = State.DRAINING;
        } else if (upstreamStatus.codeClass() == HttpStatusClass.SUCCESS && contentType.startsWith("text/event-stream")) {
            state = State.STREAMING;
            streamed = true;
            framer = new SseFramer(alloc, this);
            streamHead = relayedHead(HttpResponseStatus.OK, contentType, null);
            streamHead.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        } else if (upstreamStatus.codeClass() == HttpStatusClass.SUCCESS && inspected.endpoint() == Endpoint.TEXT_TO_SPEECH
                && !contentType.startsWith("application/json")) {
            passHead(response, contentType);
        } else {
            state = State.BUFFERING;
            buffered = alloc.compositeBuffer(Integer.MAX_VALUE);
        }
    }

    /** Speech: the audio is relayed as it comes, with the upstream's content type and length. */
    private void passHead(HttpResponse response, String contentType) {
        state = State.PASSING;
        String length = HttpUtil.isTransferEncodingChunked(response) ? null : upstreamHeaders.get(HttpHeaderNames.CONTENT_LENGTH);
        HttpResponse head = relayedHead(upstreamStatus, contentType.isEmpty() ? "application/octet-stream" : contentType, length);
        answeredStatus = upstreamStatus.code();
        ctx.write(head, ctx.voidPromise());
    }

    /**
     * The head of a response relayed as it comes (a stream, audio): delimited by {@code length} when the
     * upstream gave one, else chunked, or on HTTP/1.0 by the connection's close.
     */
    private HttpResponse relayedHead(HttpResponseStatus status, String contentType, String length) {
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, HttpResponses.OWN_HEADERS);
        head.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpResponses.X_REQUEST_ID, requestId);
        if (length != null) {
            head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            // no chunked encoding in HTTP/1.0: the body ends when the connection closes
            owner.closeAfterResponse();
        } else {
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!owner.keepAlive()) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (limit != null) {
            HttpResponses.rateLimitHeaders(head.headers(), limit);
        }
        return head;
    }

    private void onContent(HttpContent content) {
        switch (state) {
            case PASSING -> {
                if (content.content().isReadable()) {
                    ctx.write(new DefaultHttpContent(content.content().retain()), ctx.voidPromise());
                    if (!ctx.channel().isWritable() && upstream != null) {
                        upstream.config().setAutoRead(false);
                    }
                }
            }
            case STREAMING -> {
                if (!framer.feed(content.content())) {
                    fail(ErrorKind.UPSTREAM_ERROR, "The upstream model server sent a stream event larger than "
                            + SseFramer.MAX_EVENT_BYTES + " bytes.");
                }
            }
            case BUFFERING -> {
                if (buffered.readableBytes() + content.content().readableBytes() > MAX_BUFFERED_RESPONSE_BYTES) {
                    abortUpstream();
                    fail(ErrorKind.UPSTREAM_ERROR, "The upstream model server's response is too large.");
                    return;
                }
                buffered.addComponent(true, content.content().retain());
            }
            default -> {
                // DRAINING an upstream error body, or AWAITING_HEAD after a 1xx
            }
        }
    }

    private void onEnd() {
        meter.end(System.nanoTime());
        State ended = state;
        releaseUpstream();
        switch (ended) {
            case STREAMING -> {
                streamEnded = true;
                framer.finish();
                if (held != null) {
                    writeHeld(!metricsSent);
                }
                bill(true);
                lease.succeeded(System.nanoTime());
                writeStreamHead(); // a stream with no event at all
                recordMeters();
                owner.writeLast(LastHttpContent.EMPTY_LAST_CONTENT);
                complete();
            }
            case BUFFERING -> respondBuffered();
            case PASSING -> {
                bill(true);
                lease.succeeded(System.nanoTime());
                recordMeters();
                owner.writeLast(LastHttpContent.EMPTY_LAST_CONTENT);
                complete();
            }
            case DRAINING -> {
                meter.restartResponse();
                failOver("The upstream model server answered " + upstreamStatus.code() + ".");
            }
            default -> fail(ErrorKind.UPSTREAM_ERROR, "The upstream model server sent no response.");
        }
    }

    private void respondBuffered() {
        ByteBuf body = buffered;
        buffered = null;
        String contentType = upstreamHeaders.get(HttpHeaderNames.CONTENT_TYPE, "application/json");
        boolean success = upstreamStatus.codeClass() == HttpStatusClass.SUCCESS;
        if (success && contentType.startsWith("application/json") && responseInspector.inspect(body)) {
            if (responseInspector.hasUsage()) {
                meter.usage(responseInspector.inputTokens(), responseInspector.outputTokens());
            } else if (responseInspector.hasAudioSeconds()) {
                audioSeconds = responseInspector.audioSeconds();
            }
            body = JsonSplice.insertMember(alloc, body, meter.xMetricsMember(false));
        }
        FullHttpResponse response = HttpResponses.json(upstreamStatus, body, requestId);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        String retryAfter = upstreamHeaders.get(HttpHeaderNames.RETRY_AFTER);
        if (retryAfter != null) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
        }
        if (limit != null) {
            HttpResponses.rateLimitHeaders(response.headers(), limit);
        }
        bill(success);
        lease.succeeded(System.nanoTime());
        answeredStatus = upstreamStatus.code();
        recordMeters();
        owner.respond(response);
        complete();
    }

    /** One whole SSE event from the upstream stream; this exchange owns it. */
    @Override
    public void onEvent(ByteBuf event) {
        if (state != State.STREAMING) {
            event.release();
            return;
        }
        ByteBuf data = dataOf(event);
        if (data == null) {
            // a comment or a retry hint: no meaning for metering, and may pass a held chunk
            writeClient(event);
            return;
        }
        long now = System.nanoTime();
        boolean parsed;
        try {
            if (isDone(data)) {
                meter.end(now);
                if (held != null) {
                    writeHeld(!metricsSent);
                }
                writeClient(event);
                return;
            }
            parsed = responseInspector.inspect(data);
        } finally {
            data.release();
        }
        if (!parsed) {
            // not JSON we understand: relay it untouched, in order
            flushHeld();
            writeClient(event);
            return;
        }
        if (responseInspector.carriesTokens()) {
            meter.tokenEvent(now);
            // the first token ends prefill (a TTFT sample for the scheduler); later ones time decoding
            lease.firstToken(now);
            lease.token(now);
        }
        if (responseInspector.hasUsage()) {
            meter.usage(responseInspector.inputTokens(), responseInspector.outputTokens());
        }
        if (inspected.endpoint() == Endpoint.RESPONSES) {
            writeClient(isFinalResponsesEvent(responseInspector.type()) && !metricsSent ? withMetrics(event, now) : event);
        } else if (responseInspector.hasUsage() && responseInspector.choiceCount() == 0 && !inspected.includeUsage()) {
            // the usage chunk the gateway asked for on its own: metered, not shown to this client
            event.release();
            meter.end(now);
            if (held != null) {
                writeHeld(!metricsSent);
            }
        } else if (responseInspector.hasUsage() && !metricsSent) {
            flushHeld();
            writeClient(withMetrics(event, now));
        } else if (responseInspector.finishesChoice() && !metricsSent) {
            flushHeld();
            held = event;
        } else {
            flushHeld();
            writeClient(event);
        }
    }

    private static boolean isFinalResponsesEvent(String type) {
        return "response.completed".equals(type) || "response.incomplete".equals(type) || "response.failed".equals(type);
    }

    private ByteBuf withMetrics(ByteBuf event, long now) {
        meter.end(now);
        metricsSent = true;
        return JsonSplice.insertMember(alloc, event, meter.xMetricsMember(true));
    }

    private void flushHeld() {
        if (held != null) {
            writeHeld(false);
        }
    }

    private void writeHeld(boolean withMetrics) {
        ByteBuf event = held;
        held = null;
        writeClient(withMetrics ? withMetrics(event, System.nanoTime()) : event);
    }

    /** Writes (without flushing) one piece of the stream to the client, after the head; takes ownership. */
    private void writeClient(ByteBuf piece) {
        writeStreamHead();
        ctx.write(new DefaultHttpContent(piece), ctx.voidPromise());
        if (!ctx.channel().isWritable() && upstream != null) {
            upstream.config().setAutoRead(false);
        }
    }

    private void writeStreamHead() {
        if (streamHead != null) {
            answeredStatus = HttpResponseStatus.OK.code();
            ctx.write(streamHead, ctx.voidPromise());
            streamHead = null;
        }
    }

    /** Whether the client has received (been written) a part of the response: from then on it cannot move. */
    private boolean clientAnswered() {
        return (state == State.STREAMING && streamHead == null) || state == State.PASSING;
    }

    /** The client can take more: resume reading the upstream. */
    void clientWritable() {
        if (upstream != null && (state == State.STREAMING || state == State.PASSING)) {
            upstream.config().setAutoRead(true);
        }
    }

    /**
     * The {@code data:} payload of an event, or {@code null} when it has none. Several {@code data:}
     * lines are joined with line feeds, as the SSE standard says. The caller releases the result, which
     * shares the event's bytes (retained slices).
     */
    private ByteBuf dataOf(ByteBuf event) {
        ByteBuf data = null;
        CompositeByteBuf joined = null;
        int lineStart = event.readerIndex();
        int end = event.writerIndex();
        while (lineStart < end) {
            int lineEnd = event.indexOf(lineStart, end, (byte) '\n');
            if (lineEnd < 0) {
                lineEnd = end;
            }
            if (lineEnd - lineStart >= 5 && event.getByte(lineStart) == 'd' && event.getByte(lineStart + 1) == 'a'
                    && event.getByte(lineStart + 2) == 't' && event.getByte(lineStart + 3) == 'a'
                    && event.getByte(lineStart + 4) == ':') {
                int from = lineStart + 5;
                if (from < lineEnd && event.getByte(from) == ' ') {
                    from++;
                }
                int to = lineEnd > from && event.getByte(lineEnd - 1) == '\r' ? lineEnd - 1 : lineEnd;
                ByteBuf line = event.retainedSlice(from, to - from);
                if (data == null) {
                    data = line;
                } else {
                    if (joined == null) {
                        joined = alloc.compositeBuffer();
                        joined.addComponent(true, data);
                        data = joined;
                    }
                    joined.addComponents(true, Unpooled.wrappedBuffer(LINE_FEED), line);
                }
            }
            lineStart = lineEnd + 1;
        }
        return data;
    }

    private static boolean isDone(ByteBuf data) {
        return data.readableBytes() == 6 && data.getByte(data.readerIndex()) == '['
                && data.toString(StandardCharsets.US_ASCII).equals("[DONE]");
    }

    @Override
    public void onUpstreamReadComplete() {
        if (state == State.STREAMING || state == State.PASSING) {
            ctx.flush();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged() {
        if (upload != null) {
            upload.upstreamWritabilityChanged();
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        Channel closed = upstream;
        upstream = null;
        if (state == State.DONE) {
            return;
        }
        if (state == State.AWAITING_HEAD && closed != null && UpstreamPool.isReused(closed) && attempts < MAX_ATTEMPTS
                && (cause == null || cause instanceof IOException) && (upload == null || upload.resendable())) {
            // a kept-alive connection the worker had closed meanwhile: nothing was processed, send again
            gateway.meters().retried(model.id(), false);
            ownSince = System.nanoTime();
            connect(true);
            return;
        }
        String failure = "The upstream model server closed the connection before the response was complete.";
        if (clientAnswered()) {
            lease.failed();
            fail(ErrorKind.UPSTREAM_ERROR, failure);
        } else {
            // nothing has reached the client yet (a buffered answer is sent whole, an error body never, a
            // stream's head with its first event): the request can still go to another worker
            discardResponse();
            failOver(failure);
        }
    }

    @Override
    public void onUpstreamIdle() {
        if ((state == State.STREAMING || state == State.PASSING) && !ctx.channel().isWritable()) {
            // the upstream is paused because the client stopped reading: the client is the one stuck
            ctx.close();
            return;
        }
        abortUpstream();
        // not tried elsewhere: the worker may still be generating, and waiting twice would double the wait
        lease.failed();
        fail(ErrorKind.UPSTREAM_ERROR, "The upstream model server sent nothing for " + gateway.upstreamIdleTimeoutMillis() + " ms.");
    }

    /** The client connection closed: abandon the upstream request at once (the worker sees the close). */
    void clientClosed() {
        if (state == State.DONE) {
            return;
        }
        // once sent, the request cost the worker its prompt at least, and relayed tokens were delivered;
        // but an answer that was an error (being drained, or a buffered 4xx) is not billed
        // (an upload the worker does not have whole yet has cost it nothing billable)
        bill((state == State.AWAITING_HEAD && (upload == null || upload.fullySent())) || state == State.STREAMING
                || state == State.PASSING
                || (state == State.BUFFERING && upstreamStatus.codeClass() == HttpStatusClass.SUCCESS));
        cancelTimer();
        lease.close();
        abortUpstream();
        state = State.DONE;
        releaseBuffers();
        recordMeters();
    }

    /**
     * Tells the client about a failure: an OpenAI-shaped error response, or, when the stream has
     * already begun, a final {@code data: {"error":…}} event that ends it.
     */
    private void fail(ErrorKind kind, String message) {
        if (state == State.DONE) {
            return;
        }
        abortUpstream();
        // tokens already streamed were generated and delivered: they are billed; otherwise nothing is
        boolean answered = clientAnswered();
        bill(answered);
        if (state == State.PASSING) {
            // audio cut short: the client sees its body end early (its length or last chunk never comes)
            recordMeters();
            ctx.close();
        } else if (answered) {
            flushHeld();
            framer.discard();
            ByteBuf event = alloc.buffer();
            event.writeCharSequence("data: ", StandardCharsets.US_ASCII);
            event.writeBytes(ErrorBodies.json(kind, message));
            event.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
            ctx.write(new DefaultHttpContent(event), ctx.voidPromise());
            recordMeters();
            owner.writeLast(LastHttpContent.EMPTY_LAST_CONTENT);
        } else {
            answeredStatus = kind.status();
            recordMeters();
            FullHttpResponse response = HttpResponses.error(kind, message, requestId);
            if (kind == ErrorKind.SERVICE_UNAVAILABLE) {
                response.headers().set(HttpHeaderNames.RETRY_AFTER, SATURATED_RETRY_AFTER_SECONDS);
            }
            owner.respond(response);
        }
        complete();
    }

    private void abortUpstream() {
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            UpstreamPool.abort(ch);
        }
    }

    /** Hands the upstream connection back to the pool once its response is complete. */
    private void releaseUpstream() {
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            // a worker that answered before it had the whole upload has the rest of it coming: never reuse
            gateway.pool(ctx.channel().eventLoop()).release(worker, ch,
                    upstreamKeepAlive && (upload == null || upload.fullySent()));
        }
    }

    /**
     * Ends the request's billing, once (the first call decides): the reported usage when there is one
     * (tokens, or a transcription's audio seconds, {@link AudioMetering}), else (when the upstream did
     * work) the prompt estimate and the relayed tokens (an upload's size), else a release of the
     * reservation. What is settled goes to the usage recorder, with the charge once the ledger answers.
     */
    private void bill(boolean upstreamWorked) {
        if (billed) {
            return;
        }
        billed = true;
        long input;
        long output;
        if (meter.hasUsage()) {
            input = meter.inputTokens();
            output = meter.outputTokens();
        } else if (upstreamWorked && audioSeconds >= 0) {
            input = AudioMetering.tokensOfSeconds(audioSeconds);
            output = 0;
        } else if (upstreamWorked && upload != null) {
            // no usage from the worker: the upload's size stands for its duration
            input = AudioMetering.estimatedTokens(upload.received());
            output = 0;
        } else if (upstreamWorked) {
            input = promptTokenEstimate;
            output = meter.outputTokens();
        } else {
            if (billing != null) {
                billing.release();
            }
            return;
        }
        UsageRecorder usage = gateway.usage();
        String modelId = model.id();
        if (billing == null) {
            usage.settled(principal, modelId, input, output, 0);
            return;
        }
        // recorded with what the ledger charged, on the thread it answers on; a settlement that fails for
        // good charged nothing and is not recorded
        billing.settle(input, output).thenAccept(settled ->
                usage.settled(principal, modelId, input, output, settled.chargedMicros()));
    }

    private void complete() {
        state = State.DONE;
        cancelTimer();
        bill(false);
        lease.close();
        releaseBuffers();
        recordMeters();
        owner.exchangeDone(this);
    }

    /**
     * Records the request's meters, once, as it ends: before the end of its response is written, so that a
     * client that has its answer finds it counted.
     */
    private void recordMeters() {
        if (metered) {
            return;
        }
        metered = true;
        meters.answered(answeredStatus != 0 ? answeredStatus : GatewayMeters.CLIENT_CLOSED);
        if (written) {
            meters.overhead(ownNanos);
        }
        if (streamed && meter.sawToken()) {
            meters.ttft(meter.ttftNanos());
            double tps = meter.tokensPerSecond(true);
            if (streamEnded && tps > 0) {
                meters.tokensPerSecond(tps);
            }
            gateway.usage().latency(model.id(), meter.ttftNanos(), meter.outputTokens());
        } else if (!streamed && answeredStatus >= 200 && answeredStatus < 300 && meter.ttftNanos() > 0) {
            // not streamed: the gateway sees no tokens, so the first byte stands for the first token
            gateway.usage().latency(model.id(), meter.ttftNanos(), meter.outputTokens());
        }
    }

    /** Forgets a response that never reached the client, before the request moves to another worker. */
    private void discardResponse() {
        releaseResponse();
        framer = null;
        streamHead = null;
        streamed = false;
        meter.restartResponse();
    }

    private void releaseBuffers() {
        ReferenceCountUtil.release(request);
        releaseResponse();
    }

    /** Releases what the exchange holds of the upstream's response. */
    private void releaseResponse() {
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
        if (held != null) {
            held.release();
            held = null;
        }
        if (framer != null) {
            framer.discard();
        }
    }
}
