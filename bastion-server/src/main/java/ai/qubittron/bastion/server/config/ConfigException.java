package ai.qubittron.bastion.server.config;

/**
 * A configuration that cannot be used: which file, which line, which key, and why. Its message is what an
 * operator reads on a failed start, e.g. {@code bastion.yaml:12: workers[1].url: must be an http or https
 * URL, got 'ftp://gpu-7'}.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String reason;

    /**
     * @param where  the file and line ({@code bastion.yaml:12}), or the command-line flag, or empty
     * @param key    the key's full path ({@code workers[1].url}), or empty for the file as a whole
     * @param reason what is wrong with it
     */
    public ConfigException(String where, String key, String reason) {
        super((where.isEmpty() ? "" : where + ": ") + (key.isEmpty() ? "" : key + ": ") + reason);
        this.key = key;
        this.reason = reason;
    }

    /** The key's full path, as in the file ({@code listener.port}, {@code workers[1].url}). */
    public String key() {
        return key;
    }

    /** What is wrong, without the place. */
    public String reason() {
        return reason;
    }
}
