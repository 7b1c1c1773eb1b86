package ai.qubittron.bastion.spi.auth;

import java.time.Instant;
import java.util.Objects;

/**
 * What a key store lists of one key, for administration: never the key, nor its hash.
 *
 * @param keyId     the key's public id ({@link ApiPrincipal#keyId()})
 * @param prefix    the key's first {@value ApiKeyHash#DISPLAY_PREFIX_LENGTH} characters
 *                  ({@link ApiKeyHash#displayPrefix}), kept when it was created; {@code null} for a key
 *                  registered by its hash alone, or stored before prefixes were kept
 * @param accountId the account it bills
 * @param tier      its tier
 * @param createdAt when it was registered
 * @param revokedAt when it was revoked, or {@code null} while it is active
 */
public record StoredKey(String keyId, String prefix, String accountId, String tier, Instant createdAt,
                        Instant revokedAt) {

    /** Checks the fields that are always there. */
    public StoredKey {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** {@return whether the key was revoked} */
    public boolean revoked() {
        return revokedAt != null;
    }
}
