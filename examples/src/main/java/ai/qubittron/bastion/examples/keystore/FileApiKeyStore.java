package ai.qubittron.bastion.examples.keystore;

import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiKeyStore;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An {@link ApiKeyStore} plugin: keys in a text file that operators edit (or a secrets manager
 * writes), one per line, as hashes only:
 *
 * <pre>
 * # sha256-of-the-key                                               key id     account    tier  [models]
 * 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  key_alice  acct_alice  pro  gpt-oss-120b,Qwen3-32B
 * </pre>
 *
 * Registered in {@code META-INF/services/ai.qubittron.bastion.spi.auth.ApiKeyStore}, so a gateway built
 * without {@code keyStore(…)} finds it with {@link java.util.ServiceLoader}. Its file is named by the system
 * property {@value #FILE_PROPERTY} or the environment variable {@value #FILE_ENV}.
 *
 * <p>Lookups read an immutable map and never touch the disk (they run on the gateway's event loops);
 * a daemon thread reloads the map when the file changes (checked every second). A line that cannot be
 * read is skipped with a warning naming its line number, never the line. A key removed from the file
 * (revoked) stops working at the next reload. Thread-safe.
 */
public final class FileApiKeyStore implements ApiKeyStore, AutoCloseable {

    public static final String FILE_PROPERTY = "bastion.keys.file";
    public static final String FILE_ENV = "BASTION_KEYS_FILE";

    private static final Logger LOG = Logger.getLogger(FileApiKeyStore.class.getName());

    private final Path file;
    private final ScheduledExecutorService watcher;
    private volatile Map<String, ApiPrincipal> byHash = Map.of();
    private FileTime loaded;

    /** For {@link java.util.ServiceLoader}: the file named by {@value #FILE_PROPERTY} or {@value #FILE_ENV}. */
    public FileApiKeyStore() {
        this(configuredFile());
    }

    public FileApiKeyStore(Path file) {
        this.file = file;
        reload();
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "file-key-store");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::reloadIfChanged, 1, 1, TimeUnit.SECONDS);
    }

    private static Path configuredFile() {
        String name = System.getProperty(FILE_PROPERTY, System.getenv(FILE_ENV));
        if (name == null) {
            throw new IllegalStateException("FileApiKeyStore: set -D" + FILE_PROPERTY + " or " + FILE_ENV + " to the keys file");
        }
        return Path.of(name);
    }

    @Override
    public CompletionStage<Optional<ApiPrincipal>> authenticate(String presentedKey) {
        if (presentedKey == null || !presentedKey.startsWith(ApiKeyHash.KEY_PREFIX)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return CompletableFuture.completedFuture(Optional.ofNullable(byHash.get(ApiKeyHash.of(presentedKey).toHex())));
    }

    /** The line that registers {@code key} for {@code principal}: what an operator appends to the file. */
    public static String line(String key, ApiPrincipal principal) {
        return ApiKeyHash.of(key).toHex() + " " + principal.keyId() + " " + principal.accountId() + " " + principal.tier()
                + (principal.allowedModels().isEmpty() ? "" : " " + String.join(",", principal.allowedModels()));
    }

    /** Reads the file now (the watcher does it when the file changes). */
    public synchronized void reload() {
        try {
            loaded = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
            Map<String, ApiPrincipal> keys = new HashMap<>();
            int number = 0;
            for (String line : loaded == null ? java.util.List.<String>of() : Files.readAllLines(file)) {
                number++;
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                String[] f = trimmed.split("\\s+");
                if (f.length < 4 || f.length > 5 || f[0].length() != 64) {
                    LOG.warning(file + ":" + number + ": expected 'sha256 key_id account_id tier [models]'; line skipped");
                    continue;
                }
                Set<String> models = f.length == 5 ? Set.copyOf(Arrays.asList(f[4].split(","))) : Set.of();
                keys.put(f[0].toLowerCase(java.util.Locale.ROOT), new ApiPrincipal(f[1], f[2], f[3], models));
            }
            byHash = Map.copyOf(keys);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the keys file " + file, e);
        }
    }

    private void reloadIfChanged() {
        try {
            FileTime now = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
            if (!java.util.Objects.equals(now, loaded)) {
                reload();
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.WARNING, "cannot reload the keys file " + file + "; the keys loaded before stay", e);
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
