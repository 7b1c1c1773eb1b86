package ai.qubittron.bastion.sim.internal;

/** The three generation endpoints, with the names their bodies and ids use. */
public enum Endpoint {
    /** {@code POST /v1/chat/completions}. */
    CHAT("chatcmpl-"),
    /** {@code POST /v1/completions}. */
    COMPLETIONS("cmpl-"),
    /** {@code POST /v1/responses}. */
    RESPONSES("resp_");

    private final String idPrefix;

    Endpoint(String idPrefix) {
        this.idPrefix = idPrefix;
    }

    /** Prefix of the ids of this endpoint's responses. */
    public String idPrefix() {
        return idPrefix;
    }
}
