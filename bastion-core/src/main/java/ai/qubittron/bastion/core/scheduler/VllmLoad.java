package ai.qubittron.bastion.core.scheduler;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * What a vLLM-style worker's Prometheus {@code /metrics} says about its load: the requests queued for a
 * batch slot ({@code vllm:num_requests_waiting}, summed over its series, e.g. one per engine) and the
 * KV-cache usage ({@code vllm:kv_cache_usage_perc}, or {@code vllm:gpu_cache_usage_perc} of vLLM before
 * 0.10; 0..1, the largest of its series). A metric the text does not carry is reported as absent, so a
 * server that is not vLLM is never called overloaded. Immutable.
 *
 * @param waitingRequests the queued requests, or -1 when the text has no such metric
 * @param kvCacheUsage    the KV-cache usage in 0..1, or -1 when the text has no such metric
 */
public record VllmLoad(long waitingRequests, double kvCacheUsage) {

    private static final byte[] WAITING = "vllm:num_requests_waiting".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KV_CACHE = "vllm:kv_cache_usage_perc".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GPU_CACHE = "vllm:gpu_cache_usage_perc".getBytes(StandardCharsets.US_ASCII);

    /** Nothing known: neither metric was present. */
    public static final VllmLoad UNKNOWN = new VllmLoad(-1, -1);

    /**
     * Whether this load passes either threshold: at least {@code maxWaiting} requests queued, or the KV
     * cache at least {@code maxKvCacheUsage} full while requests queue (a full cache with an empty queue
     * is a busy worker, not a saturated one).
     *
     * @param maxWaiting      the queued requests from which a worker is overloaded
     * @param maxKvCacheUsage the KV-cache usage, 0..1, from which a worker with a queue is overloaded
     * @return whether the worker should get no new request; false for {@link #UNKNOWN} when
     *         {@code maxWaiting} is positive
     */
    public boolean overloaded(long maxWaiting, double maxKvCacheUsage) {
        return waitingRequests >= maxWaiting || (kvCacheUsage >= maxKvCacheUsage && waitingRequests > 0);
    }

    /**
     * Reads the two metrics from Prometheus text exposition (format 0.0.4) between the reader and the
     * writer index of {@code text}, which is left unchanged. Malformed lines and samples are skipped.
     *
     * @param text a scrape of {@code /metrics}; not released
     * @return the load, {@link #UNKNOWN} when neither metric is there
     */
    public static VllmLoad parse(ByteBuf text) {
        long waiting = -1;
        double kv = -1;
        int end = text.writerIndex();
        int i = text.readerIndex();
        while (i < end) {
            int eol = text.indexOf(i, end, (byte) '\n');
            if (eol < 0) {
                eol = end;
            }
            if (text.getByte(i) == 'v') {
                if (startsWithName(text, i, eol, WAITING)) {
                    double v = sampleValue(text, i + WAITING.length, eol);
                    if (v >= 0) {
                        waiting = Math.max(0, waiting) + (long) v;
                    }
                } else if (startsWithName(text, i, eol, KV_CACHE) || startsWithName(text, i, eol, GPU_CACHE)) {
                    int nameEnd = text.indexOf(i, eol, (byte) '{');
                    double v = sampleValue(text, nameEnd >= 0 ? nameEnd : firstBlank(text, i, eol), eol);
                    if (v >= 0) {
                        kv = Math.max(kv, Math.min(1.0, v));
                    }
                }
            }
            i = eol + 1;
        }
        return waiting < 0 && kv < 0 ? UNKNOWN : new VllmLoad(waiting, kv);
    }

    /** Whether the line at {@code from} is a sample of exactly {@code name} (followed by '{' or a blank). */
    private static boolean startsWithName(ByteBuf text, int from, int eol, byte[] name) {
        if (eol - from <= name.length) {
            return false;
        }
        for (int k = 0; k < name.length; k++) {
            if (text.getByte(from + k) != name[k]) {
                return false;
            }
        }
        byte next = text.getByte(from + name.length);
        return next == '{' || next == ' ' || next == '\t';
    }

    private static int firstBlank(ByteBuf text, int from, int eol) {
        int i = from;
        while (i < eol && text.getByte(i) != ' ' && text.getByte(i) != '\t') {
            i++;
        }
        return i;
    }

    /** The value after the name (and labels) of a sample line; NaN when malformed. */
    private static double sampleValue(ByteBuf text, int from, int eol) {
        int i = from;
        if (text.getByte(i) == '{') {
            boolean quoted = false;
            for (i++; i < eol; i++) {
                byte b = text.getByte(i);
                if (quoted) {
                    if (b == '\\') {
                        i++;
                    } else if (b == '"') {
                        quoted = false;
                    }
                } else if (b == '"') {
                    quoted = true;
                } else if (b == '}') {
                    break;
                }
            }
            i++;
        }
        while (i < eol && (text.getByte(i) == ' ' || text.getByte(i) == '\t')) {
            i++;
        }
        int start = i;
        while (i < eol && text.getByte(i) != ' ' && text.getByte(i) != '\t' && text.getByte(i) != '\r') {
            i++;
        }
        if (start >= i || i - start > 64) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(text.toString(start, i - start, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
