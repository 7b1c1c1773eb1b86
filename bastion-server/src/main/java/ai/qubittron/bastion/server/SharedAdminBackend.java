package ai.qubittron.bastion.server;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.jdbc.JdbcApiKeyStore;
import ai.qubittron.bastion.jdbc.JdbcLedger;
import ai.qubittron.bastion.netty.admin.AdminBackend;
import ai.qubittron.bastion.netty.admin.NodeSettings;
import ai.qubittron.bastion.redis.CachingApiKeyStore;
import ai.qubittron.bastion.spi.auth.StoredKey;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.SortedMap;

/**
 * The admin backend of a node whose accounts and keys are in PostgreSQL, shared with the other nodes: an
 * account opened or credited, or a key created or revoked, on one node holds on all. Tiers and prices
 * are this node's configuration (each node is configured alike), kept in memory. A revoked key is
 * announced to every node's key-lookup cache. Blocking, on the admin
 * API's own thread.
 */
final class SharedAdminBackend implements AdminBackend {

    private final JdbcApiKeyStore keys;
    private final CachingApiKeyStore cache;
    private final JdbcLedger ledger;
    private final NodeSettings settings;

    /** @param cache the nodes' key-lookup cache, told of revocations, or {@code null} when there is none */
    SharedAdminBackend(JdbcApiKeyStore keys, CachingApiKeyStore cache, JdbcLedger ledger, TierTable tiers, PriceBook prices,
                       ModelCatalog catalog) {
        this.keys = keys;
        this.cache = cache;
        this.ledger = ledger;
        this.settings = new NodeSettings(tiers, prices, catalog);
    }

    @Override
    public AccountView createAccount(String id, String tier, long balanceMicros) {
        if (!ledger.open(id, balanceMicros, tier)) {
            throw new IllegalStateException("the account '" + id + "' exists already");
        }
        return view(id, tier);
    }

    @Override
    public Optional<AccountView> account(String id) {
        return ledger.tier(id).map(tier -> view(id, tier));
    }

    @Override
    public CreatedKey createKey(String accountId) {
        String tier = ledger.tier(accountId).orElseThrow(() -> new NoSuchElementException("no account '" + accountId + "'"));
        return CreatedKey.create(accountId, tier, keys::create);
    }

    @Override
    public boolean revokeKey(String keyId) {
        boolean revoked = keys.revoke(keyId);
        if (revoked && cache != null) {
            cache.announceRevoked(keyId);
        }
        return revoked;
    }

    @Override
    public AccountView credit(String accountId, long amountMicros) {
        String tier = ledger.tier(accountId).orElseThrow(() -> new NoSuchElementException("no account '" + accountId + "'"));
        ledger.credit(accountId, amountMicros);
        return view(accountId, tier);
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
        return ledger.accounts().stream().map(a -> AccountView.of(a.tier(), a.balance())).toList();
    }

    @Override
    public List<StoredKey> keys() {
        return keys.keys();
    }

    @Override
    public List<StoredKey> keys(String accountId) {
        if (ledger.tier(accountId).isEmpty()) {
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

    private AccountView view(String id, String tier) {
        return AccountView.of(tier, ledger.balance(id).toCompletableFuture().join());
    }
}
