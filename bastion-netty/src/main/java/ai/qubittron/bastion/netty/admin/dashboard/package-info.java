/**
 * The dashboard served on the admin listener: {@link ai.qubittron.bastion.netty.admin.dashboard.Dashboard}
 * routes its paths, signs in with the admin token into a session cookie and decides what a request made
 * with that cookie may do; {@code SessionStore} holds the sessions, {@code LoginThrottle} slows token
 * guessing, {@code DashboardAssets} serves the app and its chart library from the jar. The pages use the
 * admin API only, like any other client.
 */
package ai.qubittron.bastion.netty.admin.dashboard;
