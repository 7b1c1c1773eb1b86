package ai.qubittron.bastion.netty.admin;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SortedMap;

/**
 * What every admin backend edits the same way, whatever holds its accounts and keys: this node's tiers
 * and prices (each node of a deployment is configured alike), and the ids of new keys. Thread-safe.
 */
public final class NodeSettings {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final TierTable tiers;
    private final PriceBook prices;
    private final ModelCatalog catalog;

    /**
     * Settings over this node's tables, the ones its gateway was built with.
     *
     * @param tiers   the gateway's tier table
     * @param prices  the gateway's price book
     * @param catalog the gateway's catalog
     */
    public NodeSettings(TierTable tiers, PriceBook prices, ModelCatalog catalog) {
        this.tiers = Objects.requireNonNull(tiers, "tiers");
        this.prices = Objects.requireNonNull(prices, "prices");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    /**
     * Sets (creates or changes) a tier's limits; the gateway's next admission uses them.
     *
     * @param name   the tier name
     * @param limits its per-minute allowance
     */
    public void setTier(String name, RateLimits limits) {
        tiers.set(name, limits);
    }

    /**
     * Sets a model's price; the gateway's next reservation uses it.
     *
     * @param model the model's canonical id or an alias
     * @param price its price
     * @return the model's canonical id
     * @throws NoSuchElementException when the catalog has no such model
     */
    public String setPrice(String model, ModelPrice price) {
        ModelInfo info = catalog.find(model);
        if (info == null) {
            throw new NoSuchElementException("no model '" + model + "' in the catalog");
        }
        prices.set(info.id(), price);
        return info.id();
    }

    /** {@return every tier of this node, {@code default} included, sorted by name; a copy} */
    public SortedMap<String, RateLimits> tiers() {
        return tiers.tiers();
    }

    /**
     * {@return each catalog model's price on this node (its own, or the default price), by canonical id
     * in catalog order; a copy}
     */
    public Map<String, ModelPrice> prices() {
        Map<String, ModelPrice> all = new LinkedHashMap<>();
        for (ModelInfo model : catalog.models()) {
            all.put(model.id(), prices.price(model.id()));
        }
        return Collections.unmodifiableMap(all);
    }

    /** {@return a new key's public id: {@code key_} and 16 random hexadecimal digits} Any thread. */
    public static String newKeyId() {
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        return "key_" + HexFormat.of().formatHex(id);
    }
}
