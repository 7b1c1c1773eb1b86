package ai.qubittron.bastion.netty.admin;

import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.auth.StoredKey;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What the admin API acts on: accounts, their keys and credit, tiers and prices. Implementations may
 * block: {@link AdminServer} calls them on its own single thread, one request at a time, away from the
 * gateway's event loops. They throw {@link IllegalArgumentException} for a request that cannot be done
 * as asked (the API answers 400), {@link java.util.NoSuchElementException} for an unknown account, key
 * or model (404) and {@link IllegalStateException} for a conflict (409); any other exception is a 500.
 *
 * <p>{@link InMemoryAdminBackend} serves a single node; a deployment whose nodes share a database
 * implements this over it, with {@link NodeSettings} for the per-node tiers and prices.
 *
 * <p>The listing methods ({@link #accounts()}, {@link #keys()}, {@link #tiers()}, {@link #prices()}) serve
 * the admin API's reads and the dashboard built on them; by default they list nothing, for a backend
 * written before them. A listed key is never the key itself ({@link StoredKey}).
 */
public interface AdminBackend {

    /**
     * What the admin API reports of an account: {@code
     * {"id","tier","balance_micros","reserved_micros","spent_micros"}}.
     *
     * @param id             the account's id
     * @param tier           its tier name
     * @param balanceMicros  its prepaid credit not yet spent
     * @param reservedMicros held by its requests in flight
     * @param spentMicros    charged so far
     */
    record AccountView(String id, String tier, long balanceMicros, long reservedMicros, long spentMicros) {

        /**
         * {@return the view of an account in {@code tier} with this balance}
         *
         * @param tier    the account's tier name
         * @param balance the account's totals, from its ledger
         */
        public static AccountView of(String tier, AccountBalance balance) {
            return new AccountView(balance.accountId(), tier, balance.balanceMicros(), balance.reservedMicros(),
                    balance.spentMicros());
        }
    }

    /**
     * A key just created: its public id, and the key itself, shown only this once.
     *
     * @param id        the key's public id ({@code key_…}), which revokes it
     * @param key       the key ({@code qbt_…}); not stored anywhere, so not shown again
     * @param accountId the account it belongs to
     */
    record CreatedKey(String id, String key, String accountId) {

        /**
         * Creates a key with a new id ({@link NodeSettings#newKeyId()}) for an account in {@code tier}, with
         * {@code store}'s way of registering a principal and returning its new key.
         *
         * @param accountId the account the key is for
         * @param tier      the account's tier, which the key's principal carries
         * @param store     registers the principal (with every model allowed) and returns its new key
         * @return the new key and its id
         */
        public static CreatedKey create(String accountId, String tier, Function<ApiPrincipal, String> store) {
            String keyId = NodeSettings.newKeyId();
            return new CreatedKey(keyId, store.apply(new ApiPrincipal(keyId, accountId, tier, Set.of())), accountId);
        }
    }


    /**
     * Opens an account.
     *
     * @param id            the account's id
     * @param tier          its tier name
     * @param balanceMicros its initial credit, {@code >= 0}
     * @return the new account
     * @throws IllegalStateException when it exists (the API answers 409)
     */
    AccountView createAccount(String id, String tier, long balanceMicros);

    /**
     * {@return the account, or empty when there is no such account}
     *
     * @param id the account's id
     */
    Optional<AccountView> account(String id);

    /**
     * Creates a key for the account, in its tier, for every model.
     *
     * @param accountId the account
     * @return the key, shown once
     * @throws java.util.NoSuchElementException when there is no such account
     */
    CreatedKey createKey(String accountId);

    /**
     * Revokes a key by its public id; requests with it are refused from their next lookup on.
     *
     * @param keyId the key's public id
     * @return {@code false} when there is no such key
     */
    boolean revokeKey(String keyId);

    /**
     * Adds credit to the account.
     *
     * @param accountId    the account
     * @param amountMicros the credit to add, {@code > 0}
     * @return the account after
     * @throws java.util.NoSuchElementException when there is no such account
     */
    AccountView credit(String accountId, long amountMicros);

    /**
     * Sets (creates or changes) a tier's limits on this node.
     *
     * @param name   the tier name
     * @param limits its per-minute allowance
     */
    void setTier(String name, RateLimits limits);

    /**
     * Sets a model's price on this node.
     *
     * @param model the model's canonical id or an alias
     * @param price its price
     * @return the model's canonical id
     * @throws java.util.NoSuchElementException when the catalog has no such model
     */
    String setPrice(String model, ModelPrice price);

    /**
     * {@return every account, sorted by id} Blocking is allowed.
     */
    default List<AccountView> accounts() {
        return List.of();
    }

    /**
     * {@return every key, revoked ones included, newest first}
     */
    default List<StoredKey> keys() {
        return List.of();
    }

    /**
     * {@return one account's keys, revoked ones included, newest first}
     *
     * @param accountId the account
     * @throws java.util.NoSuchElementException when there is no such account
     */
    default List<StoredKey> keys(String accountId) {
        if (account(accountId).isEmpty()) {
            throw new NoSuchElementException("no account '" + accountId + "'");
        }
        return keys().stream().filter(k -> k.accountId().equals(accountId)).toList();
    }

    /**
     * {@return this node's tiers, {@code default} included, sorted by name}
     */
    default SortedMap<String, RateLimits> tiers() {
        return new TreeMap<>();
    }

    /**
     * {@return each catalog model's price on this node, by canonical id, in catalog order}
     */
    default Map<String, ModelPrice> prices() {
        return Map.of();
    }
}
