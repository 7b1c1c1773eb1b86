package ai.qubittron.bastion.core.catalog;

/** The model endpoints of the data plane, each with the path it is served at and forwarded to. */
public enum Endpoint {
    CHAT_COMPLETIONS("/v1/chat/completions"),
    COMPLETIONS("/v1/completions"),
    RESPONSES("/v1/responses");

    private final String path;

    Endpoint(String path) {
        this.path = path;
    }

    /** The request path, both on the gateway and on an upstream worker. */
    public String path() {
        return path;
    }
}
