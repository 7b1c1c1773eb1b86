/**
 * Implementation of the simulated worker; not public API.
 *
 * <p>Starting points: {@link ai.qubittron.bastion.sim.internal.SimPipeline} (the connection pipeline),
 * {@link ai.qubittron.bastion.sim.internal.SimHttpHandler} (routing),
 * {@link ai.qubittron.bastion.sim.internal.SimEngine} (running batch, waiting queue, counters),
 * {@link ai.qubittron.bastion.sim.internal.Sequence} (one request's timers and writes),
 * {@link ai.qubittron.bastion.sim.internal.RequestParser} (streaming request parsing), the
 * per-endpoint encoders ({@code ChatEncoder}, {@code CompletionsEncoder}, {@code ResponsesEncoder}),
 * and audio: {@code TranscriptionParser} (the multipart form, in memory), {@code Transcription} and
 * {@code TranscriptionEncoder} (the answer and its formats), {@code SpeechParser} and
 * {@code SpeechStream} (the streamed WAV), {@code Wav} (the container).
 */
package ai.qubittron.bastion.sim.internal;
