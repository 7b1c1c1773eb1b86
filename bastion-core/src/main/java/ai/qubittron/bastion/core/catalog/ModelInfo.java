package ai.qubittron.bastion.core.catalog;

import java.util.Objects;
import java.util.Set;

/**
 * One model of the catalog. Immutable.
 *
 * @param id           the canonical id clients see in {@code /v1/models}
 * @param category     what kind of model it is (LLM, Code, Vision, Safety…), for people
 * @param endpoints    the endpoints that accept it
 * @param aliases      other names clients may use for it (e.g. {@code openai/gpt-oss-120b})
 * @param upstreamName the name the upstream workers serve it under; the gateway rewrites the
 *                     request's {@code model} to this when the client used another name
 * @param ownedBy      the {@code owned_by} of {@code /v1/models}
 * @param created      the {@code created} of {@code /v1/models}, in epoch seconds
 */
public record ModelInfo(String id, String category, Set<Endpoint> endpoints, Set<String> aliases,
                        String upstreamName, String ownedBy, long created) {

    /**
     * Validates and copies the sets.
     *
     * @param id           the canonical id, not blank
     * @param category     what kind of model it is
     * @param endpoints    the endpoints that accept it; copied
     * @param aliases      other names, each not blank; copied
     * @param upstreamName the name on the workers, not blank
     * @param ownedBy      the {@code owned_by} shown
     * @param created      epoch seconds, {@code >= 0}
     * @throws IllegalArgumentException when a name is blank or {@code created} is negative
     */
    public ModelInfo {
        requireName("id", id);
        Objects.requireNonNull(category, "category");
        endpoints = Set.copyOf(Objects.requireNonNull(endpoints, "endpoints"));
        aliases = Set.copyOf(Objects.requireNonNull(aliases, "aliases"));
        aliases.forEach(alias -> requireName("aliases", alias));
        requireName("upstreamName", upstreamName);
        Objects.requireNonNull(ownedBy, "ownedBy");
        if (created < 0) {
            throw new IllegalArgumentException("created: must be >= 0, got " + created);
        }
    }

    /**
     * A model served upstream under its own id, with the given endpoints and aliases, owned by
     * {@code qubittron} and created 2025-01-01 (epoch second 1,735,689,600).
     *
     * @param id        the canonical id, also the upstream name
     * @param category  what kind of model it is
     * @param endpoints the endpoints that accept it
     * @param aliases   other names clients may use
     * @return the model
     */
    public static ModelInfo of(String id, String category, Set<Endpoint> endpoints, String... aliases) {
        return new ModelInfo(id, category, endpoints, Set.of(aliases), id, "qubittron", 1735689600L);
    }

    /**
     * A text model: chat completions, completions and responses ({@link Endpoint#text()}); otherwise as
     * {@link #of(String, String, Set, String...)}.
     *
     * @param id       the canonical id, also the upstream name
     * @param category what kind of model it is
     * @param aliases  other names clients may use
     * @return the model
     */
    public static ModelInfo of(String id, String category, String... aliases) {
        return of(id, category, Endpoint.text(), aliases);
    }

    /**
     * {@return whether this model may be called on the endpoint}
     *
     * @param endpoint the endpoint a request was sent to
     */
    public boolean supports(Endpoint endpoint) {
        return endpoints.contains(endpoint);
    }

    private static void requireName(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": must be a non-blank model name, got '" + value + "'");
        }
    }
}
