/**
 * Test support shared by every module (a test-scope dependency, never shipped). Start with
 * {@link ai.qubittron.bastion.testing.LeakDetectionExtension}, which fails a test class on any buffer
 * leak Netty reports, registered through {@code META-INF/services} for JUnit's extension
 * auto-detection;
 * {@link ai.qubittron.bastion.testing.RedisServerProcess} runs a {@code redis-server} of a test's own,
 * for tests that stop Redis.
 */
package ai.qubittron.bastion.testing;
