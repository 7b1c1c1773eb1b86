/**
 * The embeddable gateway on Netty. Start with {@link ai.qubittron.bastion.netty.Bastion#builder()}:
 * configure the listener, the models' workers and the plugins, {@code build()}, {@code start()}, and
 * {@code close()} to drain and stop; {@link ai.qubittron.bastion.netty.Bastion#mount(String)} serves it
 * inside a host's own Netty pipeline instead.
 *
 * <p>How it relates to the other modules: the builder takes the plugins of {@code bastion-spi}
 * ({@link ai.qubittron.bastion.spi.auth.ApiKeyStore}, {@link ai.qubittron.bastion.spi.limit.RateLimiter},
 * {@link ai.qubittron.bastion.spi.ledger.Ledger}), given or discovered with
 * {@link ai.qubittron.bastion.spi.SpiLoader}, and the I/O-free parts of {@code bastion-core} (the
 * {@link ai.qubittron.bastion.core.catalog.ModelCatalog}, the
 * {@link ai.qubittron.bastion.core.admission.TierTable}, the
 * {@link ai.qubittron.bastion.core.pricing.PriceBook}, the
 * {@link ai.qubittron.bastion.core.scheduler.Scheduler} it builds). {@code bastion-redis} and
 * {@code bastion-jdbc} provide plugins for several nodes; {@code bastion-sim} is the simulated worker the
 * tests run it against. The admin API is in {@link ai.qubittron.bastion.netty.admin}; what a node saw of
 * its traffic (usage per key and model, limits use, latency) is read as the values of
 * {@link ai.qubittron.bastion.netty.usage}.
 *
 * <p>Everything under {@code ai.qubittron.bastion.netty.internal} (the pipeline, the relay, the upstream
 * pools, the meters) is implementation detail and may change without notice.
 */
package ai.qubittron.bastion.netty;
