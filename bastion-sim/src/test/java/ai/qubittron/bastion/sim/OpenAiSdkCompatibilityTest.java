package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.MultipartField;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.StreamResponse;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.audio.transcriptions.Transcription;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionVerbose;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseUsage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, with response validation on, parses everything the worker answers. */
class OpenAiSdkCompatibilityTest {

    private static final long SEED = 7L;
    private static final String MODEL = "gpt-oss-120b";

    private static SimulatedWorker worker;
    private static OpenAIClient client;
    private static OpenAIClient lenientClient;

    @BeforeAll
    static void start() {
        worker = SimulatedWorker.builder()
                .models(List.of(MODEL, "Qwen3-32B"))
                .config(SimConfig.builder().overheadMillis(1).prefillMicrosPerToken(1).interTokenMillis(1).build())
                .seed(SEED)
                .build()
                .start();
        client = OpenAIOkHttpClient.builder()
                .baseUrl(worker.baseUrl() + "/v1")
                .apiKey("x")
                .maxRetries(0)
                .responseValidation(true)
                .build();
        lenientClient = OpenAIOkHttpClient.builder().baseUrl(worker.baseUrl() + "/v1").apiKey("x").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        lenientClient.close();
        worker.close();
    }

    @Test
    void chatCompletionTextAndUsageMatchSimText() {
        String prompt = "Reply with exactly: ok";
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(MODEL)
                .addUserMessage(prompt)
                .maxCompletionTokens(5)
                .build());
        completion.validate();

        ChatCompletion.Choice choice = completion.choices().get(0);
        assertThat(choice.message().content()).contains(SimText.completion(SEED, prompt, 5));
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
        assertThat(completion.id()).startsWith("chatcmpl-");
        assertThat(completion.model()).isEqualTo(MODEL);
        assertThat(completion.usage()).hasValueSatisfying(u -> {
            assertThat(u.promptTokens()).isEqualTo(SimText.chatPromptTokens(prompt));
            assertThat(u.completionTokens()).isEqualTo(5);
            assertThat(u.totalTokens()).isEqualTo(SimText.chatPromptTokens(prompt) + 5L);
        });
    }

    @Test
    void chatWithoutLimitStopsAtTheNaturalLength() {
        String system = "You are terse.";
        String user = "Count from 1 to 5.";
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("Qwen3-32B")
                .addSystemMessage(system)
                .addUserMessage(user)
                .build());

        String key = SimText.promptKey(system, user);
        int natural = SimText.naturalTokens(SEED, key);
        assertThat(completion.choices().get(0).message().content()).contains(SimText.completion(SEED, key, natural));
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(natural);
        assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(SimText.chatPromptTokens(system, user));
    }

    @Test
    void chatStreamDeltasConcatenateToTheTextAndEndWithUsage() {
        String prompt = "Tell me a story about a fox.";
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder()
                        .model(MODEL)
                        .addUserMessage(prompt)
                        .maxCompletionTokens(100)
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                        .build())) {
            stream.stream().forEach(c -> chunks.add(c.validate()));
        }

        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        int natural = SimText.naturalTokens(SEED, prompt);
        assertThat(text.toString()).isEqualTo(SimText.completion(SEED, prompt, natural));
        assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();
        // role chunk + one chunk per token + finish chunk + usage chunk
        assertThat(chunks).hasSize(natural + 3);
        ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
        assertThat(finish.choices().get(0).finishReason()).contains(ChatCompletionChunk.Choice.FinishReason.STOP);
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage()).hasValueSatisfying(u -> {
            assertThat(u.completionTokens()).isEqualTo(natural);
            assertThat(u.promptTokens()).isEqualTo(SimText.chatPromptTokens(prompt));
        });
    }

    @Test
    void completionTextMatchesSimText() {
        String prompt = "Say this is a test";
        Completion completion = client.completions().create(CompletionCreateParams.builder()
                .model(MODEL)
                .prompt(prompt)
                .maxTokens(7)
                .build());

        assertThat(completion.id()).startsWith("cmpl-");
        assertThat(completion.choices().get(0).text()).isEqualTo(SimText.completion(SEED, prompt, 7));
        assertThat(completion.usage()).hasValueSatisfying(u -> {
            assertThat(u.promptTokens()).isEqualTo(SimText.countTokens(prompt));
            assertThat(u.completionTokens()).isEqualTo(7);
        });
    }

    @Test
    void completionStreamIsParsed() {
        // Like OpenAI and vLLM, intermediate chunks carry "finish_reason": null, which the SDK's strict
        // validation of the shared Completion type rejects; its default (no validation) parses them.
        String prompt = "Once upon a time";
        StringBuilder text = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        try (StreamResponse<Completion> stream = lenientClient.completions().createStreaming(CompletionCreateParams.builder()
                .model(MODEL)
                .prompt(prompt)
                .maxTokens(6)
                .build())) {
            stream.stream().forEach(c -> c.choices().forEach(ch -> {
                text.append(ch.text());
                ch._finishReason().asKnown().ifPresent(f -> finishReasons.add(f.toString()));
            }));
        }
        assertThat(text.toString()).isEqualTo(SimText.completion(SEED, prompt, 6));
        assertThat(finishReasons).containsExactly("length");
    }

    @Test
    void responseValidatesAndCarriesTheTextAndUsage() {
        String input = "Reply with: ok";
        Response response = client.responses().create(ResponseCreateParams.builder()
                .model(MODEL)
                .input(input)
                .maxOutputTokens(SimText.MAX_NATURAL_TOKENS)
                .store(false)
                .build());
        response.validate();

        int natural = SimText.naturalTokens(SEED, input);
        assertThat(response.id()).startsWith("resp_");
        assertThat(outputText(response)).isEqualTo(SimText.completion(SEED, input, natural));
        assertThat(response.status()).contains(ResponseStatus.COMPLETED);
        assertThat(response.incompleteDetails()).isEmpty();
        ResponseUsage usage = response.usage().orElseThrow();
        assertThat(usage.inputTokens()).isEqualTo(SimText.chatPromptTokens(input));
        assertThat(usage.outputTokens()).isEqualTo(natural);
        assertThat(usage.totalTokens()).isEqualTo(usage.inputTokens() + natural);
    }

    @Test
    void responseCutByMaxOutputTokensIsIncomplete() {
        String instructions = "Be brief.";
        String input = "Explain kernels.";
        Response response = client.responses().create(ResponseCreateParams.builder()
                .model(MODEL)
                .instructions(instructions)
                .input(input)
                .maxOutputTokens(3)
                .build());
        response.validate();

        String key = SimText.promptKey(instructions, input);
        assertThat(outputText(response)).isEqualTo(SimText.completion(SEED, key, 3));
        assertThat(response.status()).contains(ResponseStatus.INCOMPLETE);
        assertThat(response.incompleteDetails().orElseThrow().reason())
                .contains(Response.IncompleteDetails.Reason.MAX_OUTPUT_TOKENS);
        assertThat(response.usage().orElseThrow().inputTokens()).isEqualTo(SimText.chatPromptTokens(instructions, input));
    }

    @Test
    void responseStreamEventsAllParseAndCompleteWithUsage() {
        String input = "Write a haiku about latency.";
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model(MODEL).input(input).store(false).build())) {
            stream.stream().forEach(e -> events.add(e.validate()));
        }

        int natural = SimText.naturalTokens(SEED, input);
        StringBuilder text = new StringBuilder();
        events.stream().filter(ResponseStreamEvent::isOutputTextDelta)
                .forEach(e -> text.append(e.asOutputTextDelta().delta()));
        assertThat(text.toString()).isEqualTo(SimText.completion(SEED, input, natural));
        assertThat(events.get(0).isCreated()).isTrue();
        assertThat(events.get(1).isInProgress()).isTrue();
        assertThat(events).hasSize(natural + 8);
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isCompleted()).isTrue();
        Response response = last.asCompleted().response();
        assertThat(outputText(response)).isEqualTo(text.toString());
        assertThat(response.usage().orElseThrow().outputTokens()).isEqualTo(natural);
    }

    @Test
    void modelsAreListed() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly(MODEL, "Qwen3-32B");
        assertThat(models).allSatisfy(m -> assertThat(m.ownedBy()).isEqualTo("vllm"));
    }

    @Test
    void aTranscriptionOfAFileSentWithoutFilenameHasItsTextAndDuration() {
        Transcription t = client.audio().transcriptions().create(TranscriptionCreateParams.builder()
                .file(Audio.wav16k(4_000)).model(MODEL).language("en").build()).asTranscription();
        t.validate();

        assertThat(t.text()).isEqualTo(SimText.transcript(SEED, 4_000));
        assertThat(t.usage()).hasValueSatisfying(u -> assertThat(u.asDuration().seconds()).isEqualTo(4.0));
    }

    @Test
    void aVerboseTranscriptionOfANamedFileValidates() {
        MultipartField<InputStream> file = MultipartField.<InputStream>builder()
                .value(new ByteArrayInputStream(Audio.wav16k(2_250))).filename("speech.wav").contentType("audio/wav").build();
        TranscriptionVerbose v = client.audio().transcriptions().create(TranscriptionCreateParams.builder()
                .file(file).model(MODEL).responseFormat(AudioResponseFormat.VERBOSE_JSON).build()).asVerbose();
        v.validate();

        assertThat(v.duration()).isEqualTo(2.25);
        assertThat(v.language()).isEqualTo("english");
        assertThat(v.segments()).hasValueSatisfying(s -> assertThat(s).singleElement()
                .satisfies(seg -> assertThat(seg.end()).isEqualTo(2.25)));
    }

    @Test
    void speechIsAWavOfTheInputsLength() throws Exception {
        String input = "Hello from the SDK.";
        try (HttpResponse response = client.audio().speech().create(SpeechCreateParams.builder()
                .model(MODEL).input(input).voice("alloy").responseFormat(SpeechCreateParams.ResponseFormat.WAV).build())) {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().values("Content-Type")).containsExactly("audio/wav");
            Audio.WavFile wav = Audio.WavFile.parse(response.body().readAllBytes());
            assertThat(wav.dataBytes()).isEqualTo(input.length() * 60 * 48);
        }
    }

    private static String outputText(Response response) {
        StringBuilder sb = new StringBuilder();
        response.output().forEach(item -> item.message().ifPresent(m -> m.content()
                .forEach(c -> c.outputText().ifPresent(t -> sb.append(t.text())))));
        return sb.toString();
    }

}
