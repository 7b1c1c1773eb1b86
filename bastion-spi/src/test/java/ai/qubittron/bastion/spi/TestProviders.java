package ai.qubittron.bastion.spi;

/**
 * Services and providers that {@link SpiLoaderTest} discovers through
 * {@code src/test/resources/META-INF/services}. Providers must be public with a public no-arg
 * constructor, as {@link java.util.ServiceLoader} requires.
 */
public final class TestProviders {

    private TestProviders() {
    }

    /** Has a plain provider, a preferred one, one that throws when created and one whose class is missing. */
    public interface Greeter {
        String greet();
    }

    /** Not {@link Prioritized}: counts as priority 0. */
    public static final class PlainGreeter implements Greeter {
        @Override
        public String greet() {
            return "plain";
        }
    }

    public static final class PreferredGreeter implements Greeter, Prioritized {
        @Override
        public String greet() {
            return "preferred";
        }

        @Override
        public int priority() {
            return 10;
        }
    }

    /** Would win on priority, but cannot be instantiated. */
    public static final class BrokenGreeter implements Greeter, Prioritized {
        public BrokenGreeter() {
            throw new IllegalStateException("BrokenGreeter refuses to start");
        }

        @Override
        public String greet() {
            return "broken";
        }

        @Override
        public int priority() {
            return 100;
        }
    }

    /** Two providers of equal priority, registered in reverse alphabetical order, and a fallback. */
    public interface Codec {
    }

    public static final class ZuluCodec implements Codec, Prioritized {
        @Override
        public int priority() {
            return 5;
        }
    }

    public static final class AlphaCodec implements Codec, Prioritized {
        @Override
        public int priority() {
            return 5;
        }
    }

    /** A negative priority loses even to a provider that does not implement {@link Prioritized}. */
    public interface Store {
    }

    public static final class FallbackStore implements Store, Prioritized {
        @Override
        public int priority() {
            return -1;
        }
    }

    public static final class PlainStore implements Store {
    }

    /** No provider is registered. */
    public interface Unregistered {
    }
}
