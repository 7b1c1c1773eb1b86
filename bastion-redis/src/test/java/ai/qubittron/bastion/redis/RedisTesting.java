package ai.qubittron.bastion.redis;

/** Where the tests find Redis: the machine's own, which {@code .ci/run} starts. */
final class RedisTesting {

    static final String URI = "redis://127.0.0.1:6379";

    private RedisTesting() {
    }
}
