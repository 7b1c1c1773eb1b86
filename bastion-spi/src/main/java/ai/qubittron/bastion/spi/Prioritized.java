package ai.qubittron.bastion.spi;

/**
 * A service provider that states how strongly it wants to be chosen when {@link SpiLoader} finds
 * several providers of the same SPI on the class path: the highest {@link #priority()} wins.
 *
 * <p>Implementing this interface is optional; a provider that does not counts as priority
 * {@value #DEFAULT_PRIORITY}. The in-memory defaults shipped with Bastion keep the default, so any
 * provider with a positive priority replaces them, and a negative priority marks a fallback.
 */
public interface Prioritized {

    /** The priority of a provider that does not override {@link #priority()} or does not implement this. */
    int DEFAULT_PRIORITY = 0;

    /**
     * {@return this provider's priority; higher wins} Called once, right after the provider is
     * instantiated, on the thread that builds the gateway; a throw skips the provider.
     */
    default int priority() {
        return DEFAULT_PRIORITY;
    }
}
