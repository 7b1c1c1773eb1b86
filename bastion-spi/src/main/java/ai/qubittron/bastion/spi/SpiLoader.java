package ai.qubittron.bastion.spi;

import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Discovers the implementation of an SPI with {@link ServiceLoader}: of all providers registered in
 * {@code META-INF/services}, the one with the highest {@link Prioritized#priority()} wins.
 *
 * <ul>
 *   <li>A provider that does not implement {@link Prioritized} counts as priority
 *       {@value Prioritized#DEFAULT_PRIORITY}.</li>
 *   <li>Ties go to the provider whose class name sorts first ({@link String#compareTo}), so the choice
 *       does not depend on class-path order.</li>
 *   <li>A provider that cannot be loaded or instantiated, or whose {@code priority()} throws, is skipped
 *       and reported through {@code java.util.logging} at {@link Level#WARNING} on the logger named after
 *       this class; discovery carries on with the others.</li>
 * </ul>
 *
 * <p>Every provider is instantiated (its priority is an instance method), so providers should have
 * cheap constructors; each call loads and instantiates them anew, nothing is cached. Thread role: called while a gateway is being built, never on an event loop; it
 * is stateless and thread-safe.
 */
public final class SpiLoader {

    private static final Logger LOGGER = Logger.getLogger(SpiLoader.class.getName());

    /** Stops a class path whose every entry is broken from spinning: ServiceLoader moves on after each error. */
    private static final int MAX_ERRORS = 1_000;

    private SpiLoader() {
    }

    /**
     * Returns the highest-priority provider of {@code type}.
     *
     * @param <T>    the SPI type
     * @param type   the SPI interface
     * @param loader where to look for {@code META-INF/services/<type>}; {@code null} means the system
     *               class loader, as for {@link ServiceLoader#load(Class, ClassLoader)}
     * @return the chosen provider, or an empty optional when no provider could be loaded
     */
    public static <T> Optional<T> load(Class<T> type, ClassLoader loader) {
        Objects.requireNonNull(type, "type");
        Iterator<T> providers = ServiceLoader.load(type, loader).iterator();
        T best = null;
        int bestPriority = 0;
        int errors = 0;
        while (true) {
            T provider;
            int priority;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                provider = providers.next();
                priority = provider instanceof Prioritized p ? p.priority() : Prioritized.DEFAULT_PRIORITY;
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                LOGGER.log(Level.WARNING, e, () -> "Skipping a provider of " + type.getName() + " that failed to load");
                if (++errors >= MAX_ERRORS) {
                    break;
                }
                continue;
            }
            if (best == null || priority > bestPriority
                    || priority == bestPriority && provider.getClass().getName().compareTo(best.getClass().getName()) < 0) {
                best = provider;
                bestPriority = priority;
            }
        }
        return Optional.ofNullable(best);
    }
}
