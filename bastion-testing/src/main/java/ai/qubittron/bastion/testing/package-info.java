/**
 * Test support shared by every module: {@link ai.qubittron.bastion.testing.LeakDetectionExtension}
 * fails a test class on any buffer leak Netty reports.
 */
package ai.qubittron.bastion.testing;
