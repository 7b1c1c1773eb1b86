package ai.qubittron.bastion.core.catalog;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The models a gateway serves, looked up by id or alias. Immutable and thread-safe; lookups are one
 * hash-map probe and allocate nothing.
 */
public final class ModelCatalog {

    private final List<ModelInfo> models;
    private final Map<String, ModelInfo> byName;

    private ModelCatalog(List<ModelInfo> models) {
        this.models = List.copyOf(models);
        Map<String, ModelInfo> names = new HashMap<>();
        for (ModelInfo model : this.models) {
            register(names, model.id(), model);
        }
        for (ModelInfo model : this.models) {
            for (String alias : model.aliases()) {
                register(names, alias, model);
            }
        }
        this.byName = Map.copyOf(names);
    }

    private static void register(Map<String, ModelInfo> names, String name, ModelInfo model) {
        ModelInfo previous = names.putIfAbsent(name, model);
        if (previous != null && previous != model) {
            throw new IllegalArgumentException("models: the name '" + name + "' is used by both "
                    + previous.id() + " and " + model.id());
        }
    }

    /**
     * A catalog of exactly these models, in this order (the order of {@code /v1/models} and of
     * {@link #defaultFor}).
     *
     * @param models the models; copied
     * @return the catalog
     * @throws IllegalArgumentException when a name (id or alias) is used by two models
     */
    public static ModelCatalog of(Collection<ModelInfo> models) {
        return new ModelCatalog(new ArrayList<>(models));
    }

    /**
     * The default catalog of the product documents: twelve text models, all on chat and completions,
     * nine of them on responses; a speech-to-text model ({@code whisper-large-v3}) and a text-to-speech
     * model ({@code Kokoro-82M}). Each is also reachable by its Hugging Face style name ({@code org/model}).
     *
     * @return a new catalog of those 14 models
     */
    public static ModelCatalog defaults() {
        EnumSet<Endpoint> noResponses = EnumSet.of(Endpoint.CHAT_COMPLETIONS, Endpoint.COMPLETIONS);
        return of(List.of(
                ModelInfo.of("gpt-oss-120b", "LLM", "openai/gpt-oss-120b"),
                ModelInfo.of("gpt-oss-20b", "LLM", "openai/gpt-oss-20b"),
                ModelInfo.of("Llama-3.1-8B-Instruct", "LLM", "meta-llama/Llama-3.1-8B-Instruct"),
                ModelInfo.of("Meta-Llama-3_3-70B-Instruct", "LLM", "meta-llama/Llama-3.3-70B-Instruct"),
                ModelInfo.of("Qwen3-32B", "LLM", "Qwen/Qwen3-32B"),
                ModelInfo.of("Mistral-7B-Instruct-v0.3", "LLM", noResponses, "mistralai/Mistral-7B-Instruct-v0.3"),
                ModelInfo.of("Mistral-Small-3.2-24B-Instruct-2506", "LLM",
                        "mistralai/Mistral-Small-3.2-24B-Instruct-2506"),
                ModelInfo.of("Mistral-Nemo-Instruct-2407", "LLM", "mistralai/Mistral-Nemo-Instruct-2407"),
                ModelInfo.of("Qwen3-Coder-30B-A3B-Instruct", "Code", "Qwen/Qwen3-Coder-30B-A3B-Instruct"),
                ModelInfo.of("Qwen2.5-VL-72B-Instruct", "Vision", "Qwen/Qwen2.5-VL-72B-Instruct"),
                ModelInfo.of("Qwen3Guard-Gen-8B", "Safety", noResponses, "Qwen/Qwen3Guard-Gen-8B"),
                ModelInfo.of("Qwen3Guard-Gen-0.6B", "Safety", noResponses, "Qwen/Qwen3Guard-Gen-0.6B"),
                ModelInfo.of("whisper-large-v3", "Audio", EnumSet.of(Endpoint.TRANSCRIPTIONS), "openai/whisper-large-v3"),
                ModelInfo.of("Kokoro-82M", "TTS", EnumSet.of(Endpoint.TEXT_TO_SPEECH), "hexgrad/Kokoro-82M")));
    }

    /**
     * The model a request to {@code endpoint} gets when it names none: the first model of the catalog
     * that supports the endpoint, or {@code null}. Only text-to-speech requests may leave the model out.
     *
     * @param endpoint the endpoint
     * @return that model, or {@code null} when no model supports the endpoint
     */
    public ModelInfo defaultFor(Endpoint endpoint) {
        for (ModelInfo model : models) {
            if (model.supports(endpoint)) {
                return model;
            }
        }
        return null;
    }

    /**
     * {@return the model with this id or alias, or {@code null}} Names are case-sensitive.
     *
     * @param name what a request's {@code model} said; not null
     */
    public ModelInfo find(String name) {
        return byName.get(name);
    }

    /** {@return every model, in catalog order (unmodifiable)} */
    public List<ModelInfo> models() {
        return models;
    }
}
