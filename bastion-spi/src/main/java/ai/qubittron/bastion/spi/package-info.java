/**
 * Bastion's plugin interfaces: what a deployment implements to keep keys, limits and money somewhere
 * else than in one gateway's memory. Its types use nothing but the JDK's.
 *
 * <p>Starting points, one SPI per package, each with its value types:
 * <ul>
 *   <li>{@link ai.qubittron.bastion.spi.auth.ApiKeyStore}: resolves a presented API key to its
 *       {@link ai.qubittron.bastion.spi.auth.ApiPrincipal};</li>
 *   <li>{@link ai.qubittron.bastion.spi.ledger.Ledger}: reserves and settles the prepaid credit of an
 *       account;</li>
 *   <li>{@link ai.qubittron.bastion.spi.limit.RateLimiter}: per-key requests and tokens per minute.</li>
 * </ul>
 *
 * <p><b>Implementing one.</b> Each interface has one or two abstract methods and returns a
 * {@link java.util.concurrent.CompletionStage}: the gateway calls it on its event loops, so an
 * implementation never blocks there (see each interface for its thread role). A "no" (unknown key,
 * credit too low, limit hit) is a normal value, not an exception; a failed stage means the plugin could
 * not answer, and the gateway then answers 503 rather than let a request through unchecked.
 *
 * <p><b>Contract tests.</b> This module's test-jar ({@code bastion-spi}, classifier {@code tests})
 * holds one abstract JUnit 5 test per SPI in {@code ai.qubittron.bastion.spi.tck}
 * ({@code ApiKeyStoreContractTest}, {@code LedgerContractTest}, {@code RateLimiterContractTest}, with a
 * {@code MutableClock} to inject). An implementation's test subclasses it and says how to make a fresh
 * instance; the in-memory, Redis and PostgreSQL implementations all run them.
 *
 * <p><b>Discovery.</b> The gateway's builder takes an implementation explicitly
 * ({@code Bastion.builder().keyStore(…)}, {@code .rateLimiter(…)}, {@code .ledger(…)}). For an SPI not set
 * there it asks {@link ai.qubittron.bastion.spi.SpiLoader}, which reads
 * {@code META-INF/services/<interface name>} through {@link java.util.ServiceLoader} and keeps the
 * provider with the highest {@link ai.qubittron.bastion.spi.Prioritized#priority()}; the builder's
 * {@code discovery(false)} turns this off.
 */
package ai.qubittron.bastion.spi;
