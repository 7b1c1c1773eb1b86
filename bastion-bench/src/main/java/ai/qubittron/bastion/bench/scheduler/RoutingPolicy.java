package ai.qubittron.bastion.bench.scheduler;

import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * How the simulated gateway chooses a worker for each request, and what it learns as the request runs.
 * Single-threaded, on the simulated clock; one instance per simulation run.
 */
interface RoutingPolicy {

    /** The index of the worker for {@code request}, or -1 to hold it at the gateway (it is retried later). */
    int pick(SimRequest request, long now);

    /** The request's first token reached the gateway. */
    default void firstToken(SimRequest request, long now) {
    }

    /** One more token reached the gateway (once per engine step of the request, after the first). */
    default void token(SimRequest request, long now) {
    }

    /** The request's last token reached the gateway. */
    default void finished(SimRequest request, long now) {
    }

    /** The gateway's periodic scrape of the workers' metrics ({@link Scenario#scrapeIntervalNanos()}). */
    default void scrape(long now) {
    }

    /** What a policy may see when it is created. */
    record Context(Scenario scenario, SimulatedWorker[] workers, LongSupplier clock, SplittableRandom random,
                   int requests) {
    }

    /** The policies compared, in report order. */
    enum Kind {
        BASTION("bastion") {
            @Override
            RoutingPolicy create(Context c) {
                return new BastionPolicy(c);
            }
        },
        ORACLE("oracle") {
            @Override
            RoutingPolicy create(Context c) {
                return new OraclePolicy(c, false);
            }
        },
        LEAST_OUTSTANDING("least-outstanding") {
            @Override
            RoutingPolicy create(Context c) {
                return new BaselinePolicies.LeastOutstanding(c);
            }
        },
        TWO_CHOICES("power-of-two") {
            @Override
            RoutingPolicy create(Context c) {
                return new BaselinePolicies.TwoChoices(c);
            }
        },
        ROUND_ROBIN("round-robin") {
            @Override
            RoutingPolicy create(Context c) {
                return new BaselinePolicies.RoundRobin(c);
            }
        },
        RANDOM("random") {
            @Override
            RoutingPolicy create(Context c) {
                return new BaselinePolicies.Random(c);
            }
        };

        final String label;

        Kind(String label) {
            this.label = label;
        }

        abstract RoutingPolicy create(Context context);
    }
}
