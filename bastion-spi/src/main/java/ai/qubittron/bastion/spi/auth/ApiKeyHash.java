package ai.qubittron.bastion.spi.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 hash of an API key: what key stores keep instead of the key.
 *
 * <p>API keys are 192-bit random secrets, so an unsalted fast hash is the right tool (as for GitHub
 * and Stripe tokens): there is nothing to brute-force, and lookups stay cheap. Equality is
 * constant-time. Immutable and thread-safe.
 */
public final class ApiKeyHash {

    /** Every Bastion key starts with this prefix. */
    public static final String KEY_PREFIX = "qbt_";

    /**
     * The length of a key's {@linkplain #displayPrefix shown prefix}: 12 characters, {@code qbt_} and 8 of
     * its random ones (48 bits of 190, which leaves the rest unguessable).
     */
    public static final int DISPLAY_PREFIX_LENGTH = 12;

    private static final int KEY_CHARS = 32;
    private static final char[] BASE62 =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * One digest per thread: looking up the provider and building a digest per hash cost more than the
     * hash of a key itself (the gateway hashes one per request, on its event loops).
     */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    });

    private final byte[] digest;
    private final int hashCode;

    private ApiKeyHash(byte[] digest) {
        this.digest = digest;
        this.hashCode = Arrays.hashCode(digest);
    }

    /**
     * Hashes a presented key, whatever its form (a string that is no {@code qbt_} key hashes too).
     *
     * @param key the key as presented, not null; hashed as UTF-8
     * @return its hash
     */
    public static ApiKeyHash of(String key) {
        // digest() resets the digest, so each thread's one serves every hash it computes
        return new ApiKeyHash(SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Restores a hash from its hexadecimal form, as stored by {@link #toHex()}.
     *
     * @param hex 64 hexadecimal digits, either case
     * @return the hash
     * @throws IllegalArgumentException when {@code hex} is not 64 hexadecimal digits
     */
    public static ApiKeyHash fromHex(String hex) {
        byte[] digest = HexFormat.of().parseHex(hex);
        if (digest.length != 32) {
            throw new IllegalArgumentException("hex: expected 64 hex digits of a SHA-256 hash, got " + hex.length());
        }
        return new ApiKeyHash(digest);
    }

    /**
     * {@return a new random key: {@code qbt_} followed by 32 uniformly random base62 characters (190 bits)}
     * Drawn from a shared {@link SecureRandom}; any thread.
     */
    public static String newKey() {
        StringBuilder key = new StringBuilder(KEY_PREFIX.length() + KEY_CHARS).append(KEY_PREFIX);
        for (int i = 0; i < KEY_CHARS; i++) {
            key.append(BASE62[RANDOM.nextInt(BASE62.length)]);
        }
        return key.toString();
    }

    /**
     * {@return the first {@value #DISPLAY_PREFIX_LENGTH} characters of a key, which a store may keep beside
     * its hash so that an operator can tell keys apart; the whole key when it is shorter}
     *
     * @param key the key, not null
     */
    public static String displayPrefix(String key) {
        return key.length() <= DISPLAY_PREFIX_LENGTH ? key : key.substring(0, DISPLAY_PREFIX_LENGTH);
    }

    /** {@return the hash in lowercase hexadecimal (64 digits), for storage} */
    public String toHex() {
        return HexFormat.of().formatHex(digest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKeyHash other && MessageDigest.isEqual(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return hashCode;
    }

    /** Never prints the hash, so it does not end up in logs next to account data. */
    @Override
    public String toString() {
        return "ApiKeyHash[…]";
    }
}
