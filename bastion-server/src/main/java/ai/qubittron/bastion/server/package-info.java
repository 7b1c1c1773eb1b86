/**
 * The standalone {@code bastion} command: {@link ai.qubittron.bastion.server.BastionMain} and its
 * subcommands ({@code demo}, {@code sim}).
 */
package ai.qubittron.bastion.server;
