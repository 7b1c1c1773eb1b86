package ai.qubittron.bastion.netty.admin;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.spi.auth.StoredKey;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The admin backend of a single node: the in-memory key store, ledger, tiers and prices, the same
 * objects the gateway was built with, so a change applies to its next request. It keeps each account's
 * tier itself (the ledger knows no tiers). Thread-safe. Owns nothing: it closes nothing.
 */
public final class InMemoryAdminBackend implements AdminBackend {

    private final InMemoryApiKeyStore keys;
    private final InMemoryLedger ledger;
    private final NodeSettings settings;
    private final ConcurrentMap<String, String> accountTiers = new ConcurrentHashMap<>();

    /**
     * A backend over the gateway's own stores.
     *
     * @param keys    the gateway's key store
     * @param ledger  the gateway's ledger
     * @param tiers   the gateway's tier table
     * @param prices  the gateway's price book
     * @param catalog the gateway's catalog, which resolves the model names of prices
     */
    public InMemoryAdminBackend(InMemoryApiKeyStore keys, InMemoryLedger ledger, TierTable tiers, PriceBook prices,
                                ModelCatalog catalog) {
        this.keys = keys;
        this.ledger = ledger;
        this.settings = new NodeSettings(tiers, prices, catalog);
    }

    /**
     * Records an account that was opened on the ledger directly (e.g. the demo account), so that the
     * admin API knows it.
     *
     * @param id   the account's id, already open on the ledger
     * @param tier its tier name
     */
    public void registerAccount(String id, String tier) {
        accountTiers.put(id, tier);
    }

    @Override
    public AccountView createAccount(String id, String tier, long balanceMicros) {
        if (accountTiers.putIfAbsent(id, tier) != null) {
            throw new IllegalStateException("the account '" + id + "' exists already");
        }
        try {
            ledger.open(id, balanceMicros);
        } catch (RuntimeException e) {
            accountTiers.remove(id);
            throw e;
        }
        return view(id);
    }

    @Override
    public Optional<AccountView> account(String id) {
        return accountTiers.containsKey(id) ? Optional.of(view(id)) : Optional.empty();
    }

    @Override
    public CreatedKey createKey(String accountId) {
        String tier = accountTiers.get(accountId);
        if (tier == null) {
            throw new NoSuchElementException("no account '" + accountId + "'");
        }
        return CreatedKey.create(accountId, tier, keys::create);
    }

    @Override
    public boolean revokeKey(String keyId) {
        return keys.revokeById(keyId);
    }

    @Override
    public AccountView credit(String accountId, long amountMicros) {
        if (!accountTiers.containsKey(accountId)) {
            throw new NoSuchElementException("no account '" + accountId + "'");
        }
        ledger.credit(accountId, amountMicros);
        return view(accountId);
    }

    @Override
    public void setTier(String name, RateLimits limits) {
        settings.setTier(name, limits);
    }

    @Override
    public String setPrice(String model, ModelPrice price) {
        return settings.setPrice(model, price);
    }

    @Override
    public List<AccountView> accounts() {
        return accountTiers.keySet().stream().sorted().map(this::view).toList();
    }

    @Override
    public List<StoredKey> keys() {
        return keys.keys();
    }

    @Override
    public List<StoredKey> keys(String accountId) {
        if (!accountTiers.containsKey(accountId)) {
            throw new NoSuchElementException("no account '" + accountId + "'");
        }
        return keys.keys(accountId);
    }

    @Override
    public SortedMap<String, RateLimits> tiers() {
        return settings.tiers();
    }

    @Override
    public Map<String, ModelPrice> prices() {
        return settings.prices();
    }

    private AccountView view(String id) {
        return AccountView.of(accountTiers.get(id), ledger.balance(id).toCompletableFuture().join());
    }
}
