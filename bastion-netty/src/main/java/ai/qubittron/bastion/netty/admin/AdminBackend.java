package ai.qubittron.bastion.netty.admin;

import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.ledger.AccountBalance;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What the admin API acts on: accounts, their keys and credit, tiers and prices. Implementations may
 * block (the admin API runs on its own thread, away from the gateway's event loops) and throw
 * {@link IllegalArgumentException} for a request that cannot be done as asked (the API answers 400) or
 * {@link java.util.NoSuchElementException} for an unknown account, key or model (404).
 */
public interface AdminBackend {

    /** What the admin API reports of an account. */
    record AccountView(String id, String tier, long balanceMicros, long reservedMicros, long spentMicros) {

        /** The view of an account in {@code tier} with this balance. */
        public static AccountView of(String tier, AccountBalance balance) {
            return new AccountView(balance.accountId(), tier, balance.balanceMicros(), balance.reservedMicros(),
                    balance.spentMicros());
        }
    }

    /** A key just created: its public id, and the key itself, shown only this once. */
    record CreatedKey(String id, String key, String accountId) {

        /**
         * Creates a key with a new id ({@link NodeSettings#newKeyId()}) for an account in {@code tier}, with
         * {@code store}'s way of registering a principal and returning its new key.
         */
        public static CreatedKey create(String accountId, String tier, Function<ApiPrincipal, String> store) {
            String keyId = NodeSettings.newKeyId();
            return new CreatedKey(keyId, store.apply(new ApiPrincipal(keyId, accountId, tier, Set.of())), accountId);
        }
    }


    /** Opens an account; {@link IllegalStateException} when it exists (the API answers 409). */
    AccountView createAccount(String id, String tier, long balanceMicros);

    /** The account, if it exists. */
    Optional<AccountView> account(String id);

    /** Creates a key for the account. */
    CreatedKey createKey(String accountId);

    /** Revokes a key by its public id; {@code false} when there is no such key. */
    boolean revokeKey(String keyId);

    /** Adds credit to the account. */
    AccountView credit(String accountId, long amountMicros);

    /** Sets (creates or changes) a tier's limits. */
    void setTier(String name, RateLimits limits);

    /** Sets a model's price; the model is named by its canonical id or an alias. */
    String setPrice(String model, ModelPrice price);
}
