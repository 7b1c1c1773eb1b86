package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.sim.RawHttp.Event;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The exact bytes on the wire: SSE framing, usage chunks, errors and keep-alive, read with a raw socket. */
class WireFormatTest {

    private static final long SEED = 11L;
    private static final String MODEL = "gpt-oss-20b";

    private static SimulatedWorker worker;
    private static int port;

    @BeforeAll
    static void start() {
        worker = SimulatedWorker.builder()
                .models(MODEL)
                .config(SimConfig.builder().overheadMillis(0).prefillMicrosPerToken(0).interTokenMillis(0).build())
                .seed(SEED)
                .build()
                .start();
        port = worker.port();
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    private static String chat(String content, int maxTokens, boolean stream, String extra) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + ",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream + extra + "}";
    }

    @Test
    void chatStreamIsOneEventPerTokenEndingWithDoneAndNoUsageUnlessAsked() {
        RawHttp.Response r = RawHttp.post(port, "/v1/chat/completions", chat("hello", 5, true, ""));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().get("content-type")).startsWith("text/event-stream");
        assertThat(r.headers().get("transfer-encoding")).isEqualTo("chunked");
        assertThat(r.complete()).isTrue();
        List<Event> events = r.events();
        // each SSE event travels in its own HTTP chunk
        assertThat(r.chunks()).hasSize(events.size());
        assertThat(r.body()).doesNotContain("usage");
        assertThat(events).hasSize(1 + 5 + 1 + 1);
        assertThat(events.get(events.size() - 1).isDone()).isTrue();

        JsonNode role = events.get(0).json();
        assertThat(role.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(role.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(role.at("/choices/0/delta/content").asText()).isEmpty();
        assertThat(role.at("/choices/0/finish_reason").isNull()).isTrue();
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 5; i++) {
            JsonNode chunk = events.get(i).json();
            assertThat(chunk.get("id").asText()).isEqualTo(role.get("id").asText());
            text.append(chunk.at("/choices/0/delta/content").asText());
        }
        assertThat(text.toString()).isEqualTo(SimText.completion(SEED, "hello", 5));
        JsonNode finish = events.get(6).json();
        assertThat(finish.at("/choices/0/delta").size()).isZero();
        assertThat(finish.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void includeUsageAddsAUsageChunkBeforeDone() {
        RawHttp.Response r = RawHttp.post(port, "/v1/chat/completions",
                chat("hello", 100, true, ",\"stream_options\":{\"include_usage\":true}"));

        List<Event> events = r.events();
        int natural = SimText.naturalTokens(SEED, "hello");
        assertThat(events).hasSize(1 + natural + 1 + 1 + 1);
        assertThat(events.get(events.size() - 1).isDone()).isTrue();
        JsonNode usage = events.get(events.size() - 2).json();
        assertThat(usage.get("choices").size()).isZero();
        assertThat(usage.at("/usage/prompt_tokens").asInt()).isEqualTo(SimText.chatPromptTokens("hello"));
        assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(natural);
        assertThat(usage.at("/usage/total_tokens").asInt()).isEqualTo(SimText.chatPromptTokens("hello") + natural);
        assertThat(events.subList(0, events.size() - 2)).noneMatch(e -> e.data().contains("usage"));
        assertThat(events.get(events.size() - 3).json().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void nonStreamedChatHasTheOpenAiShape() {
        RawHttp.Response r = RawHttp.post(port, "/v1/chat/completions", chat("hi", 4, false, ""));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().get("content-type")).isEqualTo("application/json");
        JsonNode body = r.json();
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo(MODEL);
        assertThat(body.get("created").asLong()).isPositive();
        assertThat(body.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        assertThat(body.at("/choices/0/message/content").asText()).isEqualTo(SimText.completion(SEED, "hi", 4));
        assertThat(body.at("/choices/0/logprobs").isNull()).isTrue();
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void ignoreEosGeneratesUpToTheLimitPastTheNaturalEnd() {
        int limit = SimText.MAX_NATURAL_TOKENS + 20;
        JsonNode json = RawHttp.post(port, "/v1/chat/completions", chat("hi", limit, false, ",\"ignore_eos\":true")).json();
        assertThat(json.at("/usage/completion_tokens").asInt()).isEqualTo(limit);
        assertThat(json.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(json.at("/choices/0/message/content").asText()).isEqualTo(SimText.completion(SEED, "hi", limit));
        JsonNode natural = RawHttp.post(port, "/v1/chat/completions", chat("hi", limit, false, ",\"ignore_eos\":false")).json();
        assertThat(natural.at("/usage/completion_tokens").asInt()).isEqualTo(SimText.naturalTokens(SEED, "hi"));
    }

    @Test
    void chatContentPartsAreJoinedIntoThePromptKey() {
        String body = "{\"model\":\"" + MODEL + "\",\"max_completion_tokens\":6,\"messages\":["
                + "{\"role\":\"system\",\"content\":\"be nice\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"part one\"},{\"type\":\"text\",\"text\":\"part two\"}]}]}";
        JsonNode json = RawHttp.post(port, "/v1/chat/completions", body).json();

        String key = SimText.promptKey("be nice", "part one", "part two");
        assertThat(json.at("/choices/0/message/content").asText()).isEqualTo(SimText.completion(SEED, key, 6));
        int expectedPrompt = 3 + 4 + SimText.countTokens("be nice") + 4 + SimText.countTokens("part one")
                + SimText.countTokens("part two");
        assertThat(json.at("/usage/prompt_tokens").asInt()).isEqualTo(expectedPrompt);
    }

    @Test
    void completionsStreamEndsWithFinishChunkUsageAndDone() {
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":[\"abc\",\"defgh\"],\"max_tokens\":3,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}";
        List<Event> events = RawHttp.post(port, "/v1/completions", body).events();

        assertThat(events).hasSize(3 + 1 + 1 + 1);
        String key = SimText.promptKey("abc", "defgh");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            JsonNode chunk = events.get(i).json();
            assertThat(chunk.get("object").asText()).isEqualTo("text_completion");
            text.append(chunk.at("/choices/0/text").asText());
        }
        assertThat(text.toString()).isEqualTo(SimText.completion(SEED, key, 3));
        assertThat(events.get(3).json().at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(events.get(4).json().at("/usage/prompt_tokens").asInt()).isEqualTo(1 + 2);
        assertThat(events.get(5).isDone()).isTrue();
    }

    @Test
    void responsesStreamNamesEveryEventAndNumbersThem() {
        String body = "{\"model\":\"" + MODEL + "\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
                + "\"text\":\"hello there\"}]}],\"max_output_tokens\":4,\"stream\":true,\"store\":false}";
        RawHttp.Response r = RawHttp.post(port, "/v1/responses", body);

        List<Event> events = r.events();
        assertThat(events).extracting(Event::type).containsExactly(
                "response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed");
        for (int i = 0; i < events.size(); i++) {
            JsonNode data = events.get(i).json();
            assertThat(data.get("type").asText()).isEqualTo(events.get(i).type());
            assertThat(data.get("sequence_number").asInt()).isEqualTo(i);
        }
        assertThat(r.body()).doesNotContain("[DONE]");
        JsonNode completed = events.get(events.size() - 1).json().get("response");
        assertThat(completed.get("status").asText()).isEqualTo("incomplete");
        assertThat(completed.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
        assertThat(completed.at("/usage/output_tokens").asInt()).isEqualTo(4);
        assertThat(completed.at("/output/0/content/0/text").asText())
                .isEqualTo(SimText.completion(SEED, "hello there", 4));
    }

    @Test
    void storeTrueIsRejectedWith500() {
        RawHttp.Response r = RawHttp.post(port, "/v1/responses",
                "{\"model\":\"" + MODEL + "\",\"input\":\"hi\",\"store\":true}");

        assertThat(r.status()).isEqualTo(500);
        assertThat(r.json().at("/error/message").asText())
                .isEqualTo("stateful responses (store=true) are not supported");
        assertThat(r.json().at("/error/type").asText()).isEqualTo("api_error");
        assertThat(r.json().at("/error/code").asText()).isEqualTo("internal_error");
    }

    @Test
    void unknownModelIs404ModelNotFound() {
        RawHttp.Response r = RawHttp.post(port, "/v1/chat/completions",
                "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(r.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(r.json().at("/error/message").asText()).contains("nope");
    }

    @Test
    void badBodiesAre400InvalidRequest() {
        for (String body : List.of("{not json", "[1,2]", "{\"messages\":[]}", "{\"model\":\"" + MODEL + "\"}",
                "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}",
                "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}")) {
            RawHttp.Response r = RawHttp.post(port, "/v1/chat/completions", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
            assertThat(r.json().at("/error/code").asText()).isEqualTo("invalid_request");
        }
        assertThat(RawHttp.post(port, "/v1/completions", "{\"model\":\"" + MODEL + "\"}").json()
                .at("/error/message").asText()).contains("prompt");
        assertThat(RawHttp.post(port, "/v1/responses", "{\"model\":\"" + MODEL + "\"}").json()
                .at("/error/message").asText()).contains("input");
    }

    @Test
    void unknownFieldsAndNAreAccepted() {
        RawHttp.Response r = RawHttp.post(port, "/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"n\":2,"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"temperature\":0.2,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"name\":\"bob\"}]}");
        assertThat(r.status()).isEqualTo(200);
    }

    @Test
    void healthModelsAndUnknownPaths() {
        assertThat(RawHttp.get(port, "/health").status()).isEqualTo(200);
        JsonNode models = RawHttp.get(port, "/v1/models").json();
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.at("/data/0/id").asText()).isEqualTo(MODEL);
        assertThat(models.at("/data/0/object").asText()).isEqualTo("model");
        assertThat(models.at("/data/0/owned_by").asText()).isEqualTo("vllm");
        assertThat(models.at("/data/0/created").asLong()).isPositive();
        assertThat(RawHttp.get(port, "/v2/nothing").status()).isEqualTo(404);
        assertThat(RawHttp.get(port, "/v1/chat/completions").status()).isEqualTo(405);
    }

    @Test
    void aKeptAliveConnectionServesPipelinedRequestsInOrder() {
        try (RawHttp http = RawHttp.connect(port)) {
            http.write(RawHttp.request("POST", "/v1/chat/completions", chat("one", 3, true, ""))
                    + RawHttp.request("POST", "/v1/chat/completions", chat("two", 2, false, ""))
                    + RawHttp.request("GET", "/health", null));
            RawHttp.Response first = http.readResponse();
            RawHttp.Response second = http.readResponse();
            RawHttp.Response third = http.readResponse();

            assertThat(first.complete()).isTrue();
            assertThat(first.events()).hasSize(1 + 3 + 1 + 1);
            assertThat(second.json().at("/choices/0/message/content").asText())
                    .isEqualTo(SimText.completion(SEED, "two", 2));
            assertThat(third.status()).isEqualTo(200);
        }
    }
}
