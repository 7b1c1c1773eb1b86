package ai.qubittron.bastion.bench.e2e;

/** Reading the end-to-end benchmarks' command-line options. */
final class Options {

    private Options() {
    }

    /** The value after option {@code args[i - 1]}; fails naming the option when there is none. */
    static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** The value after option {@code args[i - 1]} as an integer of at least 1. */
    static int positive(String[] args, int i) {
        int v = Integer.parseInt(value(args, i));
        if (v < 1) {
            throw new IllegalArgumentException(args[i - 1] + ": must be >= 1, got " + v);
        }
        return v;
    }
}
