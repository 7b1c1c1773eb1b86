package ai.qubittron.bastion.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.qubittron.bastion.netty.testing.BastionExtension;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.audio.transcriptions.Transcription;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official OpenAI Java SDK, unmodified, with only its base URL swapped, against the gateway. */
class OpenAiSdkTest {

    @RegisterExtension
    static final BastionExtension gateway = BastionExtension.withWorkers(2);

    private static ChatCompletionCreateParams.Builder chat(String content) {
        return ChatCompletionCreateParams.builder().model("gpt-oss-120b").addUserMessage(content).maxTokens(16);
    }

    /** A PCM WAV of {@code seconds} at 16 kHz, 16-bit mono: what a client would record. */
    private static byte[] wav(double seconds) {
        int dataBytes = (int) (seconds * 32_000);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(44 + dataBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes).put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII))
                .putInt(16).putShort((short) 1).putShort((short) 1).putInt(16_000).putInt(32_000).putShort((short) 2)
                .putShort((short) 16).put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        return b.array();
    }

    @Test
    void transcriptionOfAFileTheSdkSendsBeforeItsModel() {
        // the SDK writes the file part first: the gateway must read past it to route by the model
        Transcription transcription = gateway.openAi().audio().transcriptions().create(TranscriptionCreateParams.builder()
                .file(wav(4.0)).model("openai/whisper-large-v3").language("en").build()).asTranscription();
        transcription.validate();
        assertThat(transcription.text()).isNotBlank();
        assertThat(transcription.usage()).hasValueSatisfying(u -> assertThat(u.asDuration().seconds()).isEqualTo(4.0));
        assertXMetrics(transcription._additionalProperties());
    }

    @Test
    void speechFromTheSdkIsAWav() throws Exception {
        try (com.openai.core.http.HttpResponse response = gateway.openAi().audio().speech().create(SpeechCreateParams.builder()
                .model("Kokoro-82M").input("Hello from the gateway.").voice("af_heart")
                .responseFormat(SpeechCreateParams.ResponseFormat.WAV).build())) {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().values("Content-Type")).containsExactly("audio/wav");
            byte[] audio = response.body().readAllBytes();
            assertThat(new String(audio, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
            // 23 characters at 60 ms, 24,000 16-bit samples a second
            assertThat(audio).hasSize(44 + 23 * 60 * 24 * 2);
        }
    }

    @Test
    void chatCompletion() {
        ChatCompletion completion = gateway.openAi().chat().completions().create(chat("Reply with exactly: ok").build());
        completion.validate();
        assertThat(completion.model()).isEqualTo("gpt-oss-120b");
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).message().content()).hasValueSatisfying(c -> assertThat(c).isNotBlank());
        assertThat(completion.usage()).hasValueSatisfying(u -> {
            assertThat(u.promptTokens()).isPositive();
            assertThat(u.completionTokens()).isBetween(1L, 16L);
            assertThat(u.totalTokens()).isEqualTo(u.promptTokens() + u.completionTokens());
        });
        assertXMetrics(completion._additionalProperties());
    }

    @Test
    void chatStreamMatchesTheNonStreamedText() {
        ChatCompletion whole = gateway.openAi().chat().completions().create(chat("Count from 1 to 5.").build());
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = gateway.openAi().chat().completions().createStreaming(
                chat("Count from 1 to 5.").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunk.validate();
                chunks.add(chunk);
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
            });
        }
        assertThat(text.toString()).isEqualTo(whole.choices().get(0).message().content().orElseThrow());
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isEqualTo(whole.usage().orElseThrow().completionTokens()));
        assertXMetrics(last._additionalProperties());
    }

    @Test
    void aliasIsAcceptedAsTheModelName() {
        ChatCompletion completion = gateway.openAi().chat().completions().create(
                ChatCompletionCreateParams.builder().model("openai/gpt-oss-120b").addUserMessage("hi").maxTokens(4).build());
        assertThat(completion.choices()).hasSize(1);
    }

    @Test
    void completion() {
        Completion completion = gateway.openAi().completions().create(CompletionCreateParams.builder()
                .model("gpt-oss-120b").prompt("The capital of Canada is").maxTokens(16).build());
        completion.validate();
        assertThat(completion.choices().get(0).text()).isNotBlank();
        assertThat(completion.usage()).hasValueSatisfying(u -> assertThat(u.promptTokens()).isPositive());
        assertXMetrics(completion._additionalProperties());
    }

    @Test
    void completionStream() {
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> stream = gateway.openAi().completions().createStreaming(CompletionCreateParams.builder()
                .model("gpt-oss-120b").prompt("The capital of Canada is").maxTokens(8).build())) {
            stream.stream().forEach(c -> c.choices().forEach(choice -> text.append(choice.text())));
        }
        assertThat(text.toString()).isNotBlank();
    }

    @Test
    void response() {
        Response response = gateway.openAi().responses().create(ResponseCreateParams.builder()
                .model("gpt-oss-120b").input("Reply with: ok").maxOutputTokens(32).store(false).build());
        response.validate();
        String text = response.output().stream()
                .flatMap(item -> item.message().stream())
                .flatMap(message -> message.content().stream())
                .flatMap(content -> content.outputText().stream())
                .map(t -> t.text())
                .reduce("", String::concat);
        assertThat(text).isNotBlank();
        assertThat(response.usage()).hasValueSatisfying(u -> assertThat(u.outputTokens()).isPositive());
        assertXMetrics(response._additionalProperties());
    }

    @Test
    void responseStream() {
        StringBuilder text = new StringBuilder();
        List<ResponseStreamEvent> completed = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = gateway.openAi().responses().createStreaming(ResponseCreateParams.builder()
                .model("gpt-oss-120b").input("Reply with: ok").maxOutputTokens(32).store(false).build())) {
            stream.stream().forEach(event -> {
                event.validate();
                event.outputTextDelta().ifPresent(d -> text.append(d.delta()));
                if (event.isCompleted()) {
                    completed.add(event);
                }
            });
        }
        assertThat(text.toString()).isNotBlank();
        assertThat(completed).hasSize(1);
        assertThat(completed.get(0).asCompleted().response().usage()).hasValueSatisfying(u -> assertThat(u.outputTokens()).isPositive());
        assertXMetrics(completed.get(0).asCompleted()._additionalProperties());
    }

    @Test
    void modelsListShowsTheCatalog() {
        List<String> ids = gateway.openAi().models().list().data().stream().map(Model::id).toList();
        assertThat(ids).hasSize(14).contains("gpt-oss-120b", "Mistral-7B-Instruct-v0.3", "Qwen3Guard-Gen-0.6B", "whisper-large-v3", "Kokoro-82M");
        Model one = gateway.openAi().models().retrieve("gpt-oss-20b");
        assertThat(one.id()).isEqualTo("gpt-oss-20b");
    }

    @Test
    void sdkErrorsAreTheDocumentedOnes() {
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(gateway.gateway().baseUrl())
                .apiKey("qbt_wrong").maxRetries(0).build();
        try {
            assertThatThrownBy(() -> wrongKey.models().list())
                    .isInstanceOfSatisfying(UnauthorizedException.class, e -> assertThat(e.getMessage()).contains("Invalid API key"));
        } finally {
            wrongKey.close();
        }
        assertThatThrownBy(() -> gateway.openAi().responses().create(ResponseCreateParams.builder()
                .model("Mistral-7B-Instruct-v0.3").input("hi").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.statusCode()).isEqualTo(400));
    }

    @SuppressWarnings("unchecked")
    private static void assertXMetrics(Map<String, JsonValue> additional) {
        assertThat(additional).containsKey("x_metrics");
        Map<String, Object> metrics = additional.get("x_metrics").convert(Map.class);
        assertThat(metrics).containsOnlyKeys("ttft_seconds", "tps", "total_time_seconds");
        assertThat(((Number) metrics.get("total_time_seconds")).doubleValue()).isPositive();
    }
}
