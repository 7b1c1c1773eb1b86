package ai.qubittron.bastion.core.pricing;

import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The price of each model (by canonical id), changeable at run time. Reads are one lock-free map
 * lookup; a model without a price of its own costs {@link #defaultPrice()}. Thread-safe: any thread may
 * set while event loops read; a change applies to the next request's reservation.
 */
public final class PriceBook {

    private final Map<String, ModelPrice> prices = new ConcurrentHashMap<>();
    private final ModelPrice defaultPrice;

    /**
     * An empty book: every model costs {@code defaultPrice} until {@link #set}.
     *
     * @param defaultPrice the price of models without one of their own
     */
    public PriceBook(ModelPrice defaultPrice) {
        this.defaultPrice = Objects.requireNonNull(defaultPrice, "defaultPrice");
    }

    /**
     * Illustrative list prices for the default catalog (micro-dollars per million tokens), so that the
     * demo and tests meter real money; a deployment sets its own with {@link #set}. Models not listed cost
     * 200,000 input and 800,000 output micro-units per million tokens.
     *
     * @return a new book, the gateway's default
     */
    public static PriceBook defaults() {
        PriceBook book = new PriceBook(new ModelPrice(200_000, 800_000));
        Map<String, ModelPrice> list = new HashMap<>();
        list.put("gpt-oss-120b", new ModelPrice(150_000, 600_000));
        list.put("gpt-oss-20b", new ModelPrice(50_000, 200_000));
        list.put("Llama-3.1-8B-Instruct", new ModelPrice(20_000, 50_000));
        list.put("Meta-Llama-3_3-70B-Instruct", new ModelPrice(230_000, 400_000));
        list.put("Qwen3-32B", new ModelPrice(100_000, 300_000));
        list.put("Mistral-7B-Instruct-v0.3", new ModelPrice(30_000, 55_000));
        list.put("Mistral-Small-3.2-24B-Instruct-2506", new ModelPrice(100_000, 300_000));
        list.put("Mistral-Nemo-Instruct-2407", new ModelPrice(35_000, 80_000));
        list.put("Qwen3-Coder-30B-A3B-Instruct", new ModelPrice(100_000, 400_000));
        list.put("Qwen2.5-VL-72B-Instruct", new ModelPrice(250_000, 750_000));
        list.put("Qwen3Guard-Gen-8B", new ModelPrice(20_000, 50_000));
        list.put("Qwen3Guard-Gen-0.6B", new ModelPrice(10_000, 20_000));
        // audio: an audio second is 10 input tokens (AudioMetering), so 5 per million tokens is $0.003 a minute;
        // speech is billed by the request's text, about 4 bytes a token
        list.put("whisper-large-v3", new ModelPrice(5_000_000, 0));
        list.put("Kokoro-82M", new ModelPrice(2_000_000, 0));
        list.forEach(book::set);
        return book;
    }

    /**
     * Sets the price of a model.
     *
     * @param modelId the model's canonical id (not an alias: the book does not know the catalog)
     * @param price   its price
     */
    public void set(String modelId, ModelPrice price) {
        prices.put(Objects.requireNonNull(modelId, "modelId"), Objects.requireNonNull(price, "price"));
    }

    /**
     * {@return the price of the model: its own, else the default price}
     *
     * @param modelId the model's canonical id
     */
    public ModelPrice price(String modelId) {
        return prices.getOrDefault(modelId, defaultPrice);
    }

    /** {@return the price of models without one of their own} */
    public ModelPrice defaultPrice() {
        return defaultPrice;
    }

    /**
     * {@return whether every model of the catalog has a price of its own}
     *
     * @param catalog the models served
     */
    public boolean covers(ModelCatalog catalog) {
        return catalog.models().stream().map(ModelInfo::id).allMatch(prices::containsKey);
    }
}
