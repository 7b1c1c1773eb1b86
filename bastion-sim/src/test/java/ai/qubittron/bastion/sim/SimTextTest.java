package ai.qubittron.bastion.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SimTextTest {

    @Test
    void tokensAreCountedAsQuarterUtf8BytesRoundedUp() {
        assertThat(SimText.countTokens("")).isZero();
        assertThat(SimText.countTokens("a")).isEqualTo(1);
        assertThat(SimText.countTokens("abcd")).isEqualTo(1);
        assertThat(SimText.countTokens("abcde")).isEqualTo(2);
        assertThat(SimText.countTokens("é")).isEqualTo(1); // 2 bytes
        assertThat(SimText.countTokens("éé€")).isEqualTo(2); // 2 + 2 + 3 bytes
        assertThat(SimText.countTokens("😀😀")).isEqualTo(2); // 4 + 4 bytes
        assertThat(SimText.chatPromptTokens("abcd", "abcde")).isEqualTo(3 + 4 + 1 + 4 + 2);
    }

    @Test
    void naturalLengthsSpanTheRangeDeterministically() {
        Set<Integer> lengths = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            int n = SimText.naturalTokens(42L, "prompt " + i);
            assertThat(n).isBetween(SimText.MIN_NATURAL_TOKENS, SimText.MAX_NATURAL_TOKENS);
            assertThat(SimText.naturalTokens(42L, "prompt " + i)).isEqualTo(n);
            lengths.add(n);
        }
        assertThat(lengths).contains(SimText.MIN_NATURAL_TOKENS, SimText.MAX_NATURAL_TOKENS).hasSize(41);
    }

    @Test
    void completionIsTheConcatenationOfTokensFromTheVocabulary() {
        String text = SimText.completion(1L, "key", 5);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            String token = SimText.token(1L, "key", i);
            assertThat(token.startsWith(" ")).isEqualTo(i > 0);
            assertThat(SimText.VOCABULARY).contains(token.strip());
            expected.append(token);
        }
        assertThat(text).isEqualTo(expected.toString());
        assertThat(text.split(" ")).hasSize(5);
        assertThat(SimText.completion(1L, "key", 9)).startsWith(text);
        assertThat(SimText.completion(2L, "key", 20)).isNotEqualTo(SimText.completion(1L, "key", 20));
        assertThat(SimText.completion(1L, "other", 20)).isNotEqualTo(SimText.completion(1L, "key", 20));
    }

    @Test
    void theLimitCutsTheNaturalLength() {
        int natural = SimText.naturalTokens(5L, "p");
        assertThat(SimText.outputTokens(5L, "p", 1_000)).isEqualTo(natural);
        assertThat(SimText.finishReason(5L, "p", natural)).isEqualTo("stop");
        assertThat(SimText.outputTokens(5L, "p", natural - 1)).isEqualTo(natural - 1);
        assertThat(SimText.finishReason(5L, "p", natural - 1)).isEqualTo("length");
        assertThat(SimText.expectedText(5L, "p", 3)).isEqualTo(SimText.completion(5L, "p", 3));
        assertThat(SimText.promptKey("a", "b")).isEqualTo("a\nb");
    }

    @Test
    void aTranscriptHasOneWordPer400MsOfAudioWithinBounds() {
        assertThat(SimText.transcriptWords(0)).isEqualTo(1);
        assertThat(SimText.transcriptWords(400)).isEqualTo(1);
        assertThat(SimText.transcriptWords(401)).isEqualTo(2);
        assertThat(SimText.transcriptWords(7_500)).isEqualTo(19);
        assertThat(SimText.transcriptWords(10_000_000)).isEqualTo(SimText.MAX_TRANSCRIPT_WORDS);
        assertThat(SimText.transcript(3L, 7_500)).isEqualTo(SimText.completion(3L, "audio 7500 ms", 19))
                .isEqualTo(SimText.transcript(3L, 7_500)).isNotEqualTo(SimText.transcript(4L, 7_500));
        assertThat(SimText.usageSeconds(0)).isEqualTo(1);
        assertThat(SimText.usageSeconds(1_000)).isEqualTo(1);
        assertThat(SimText.usageSeconds(1_001)).isEqualTo(2);
    }

    @Test
    void speechLasts60MsPerCodePointAndAtLeast200Ms() {
        assertThat(SimText.speechMillis("Hi")).isEqualTo(200);
        assertThat(SimText.speechMillis("four")).isEqualTo(240);
        assertThat(SimText.speechMillis("\uD83D\uDC4B\uD83D\uDC4B\uD83D\uDC4B\uD83D\uDC4B")).isEqualTo(240);
        assertThat(SimText.speechSamples("four")).isEqualTo(240 * 24);
    }
}
