package ai.qubittron.bastion.redis;

/** Where the tests find Redis: the machine's own, which {@code .ci/run} starts, or {@code -Dbastion.test.redis=URI}. */
final class RedisTesting {

    static final String URI = System.getProperty("bastion.test.redis", "redis://127.0.0.1:6379");

    private RedisTesting() {
    }
}
