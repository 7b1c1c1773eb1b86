package ai.qubittron.bastion.sim.internal;

import ai.qubittron.bastion.sim.SimText;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a generation request body with a jackson-core streaming parser: only the fields the worker
 * needs ({@code model}, {@code stream}, {@code stream_options.include_usage}, the token limits,
 * {@code store}, {@code n}, and the prompt text: {@code messages}, {@code prompt}, {@code input},
 * {@code instructions}); every other field is skipped.
 *
 * <p>Stateless; called on an event loop. It does not take ownership of the body buffer and does not
 * move its reader index.
 */
public final class RequestParser {

    private RequestParser() {
    }

    /**
     * Parses {@code body} (not released, reader index unchanged) sent to {@code endpoint}.
     *
     * @throws BadRequestException when the body is not JSON, a field has the wrong type or value, or a
     *                             required field ({@code model}, and {@code messages}, {@code prompt}
     *                             or {@code input}) is missing
     */
    public static GenerationRequest parse(Endpoint endpoint, ByteBuf body) throws BadRequestException {
        try (InputStream in = new ByteBufInputStream(body.duplicate());
             JsonParser p = Json.FACTORY.createParser(in)) {
            return new RequestParser.State(endpoint).read(p);
        } catch (StreamReadException e) {
            throw new BadRequestException("Invalid JSON body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequestException("Unreadable body: " + e.getMessage());
        }
    }

    private static final class State {
        final Endpoint endpoint;
        final List<String> pieces = new ArrayList<>();
        String model;
        boolean stream;
        boolean includeUsage;
        int maxTokens = -1;
        int maxCompletionTokens = -1;
        boolean store;
        boolean ignoreEos;
        String instructions;
        boolean promptSeen;
        int messages;
        long pieceTokens;

        State(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        GenerationRequest read(JsonParser p) throws IOException, BadRequestException {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadRequestException("The request body must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "model" -> model = string(p, value, "model");
                    case "stream" -> stream = bool(p, value, "stream");
                    case "store" -> store = bool(p, value, "store");
                    case "ignore_eos" -> ignoreEos = bool(p, value, "ignore_eos");
                    case "stream_options" -> streamOptions(p, value);
                    case "n" -> positiveOrAbsent(p, value, "n");
                    case "max_tokens" -> {
                        if (endpoint != Endpoint.RESPONSES) {
                            maxTokens = positiveOrAbsent(p, value, "max_tokens");
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "max_completion_tokens" -> {
                        if (endpoint == Endpoint.CHAT) {
                            maxCompletionTokens = positiveOrAbsent(p, value, "max_completion_tokens");
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "max_output_tokens" -> {
                        if (endpoint == Endpoint.RESPONSES) {
                            maxTokens = positiveOrAbsent(p, value, "max_output_tokens");
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "messages" -> {
                        if (endpoint == Endpoint.CHAT) {
                            chatMessages(p, value);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "prompt" -> {
                        if (endpoint == Endpoint.COMPLETIONS) {
                            prompt(p, value);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "input" -> {
                        if (endpoint == Endpoint.RESPONSES) {
                            input(p, value);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "instructions" -> {
                        if (endpoint == Endpoint.RESPONSES && value != JsonToken.VALUE_NULL) {
                            instructions = string(p, value, "instructions");
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new BadRequestException("The request body must be a single JSON object");
            }
            return build();
        }

        private GenerationRequest build() throws BadRequestException {
            if (model == null) {
                throw new BadRequestException("'model' is a required property");
            }
            if (!promptSeen) {
                String required = switch (endpoint) {
                    case CHAT -> "messages";
                    case COMPLETIONS -> "prompt";
                    case RESPONSES -> "input";
                };
                throw new BadRequestException("'" + required + "' is a required property");
            }
            List<String> keyPieces = pieces;
            long tokens = pieceTokens;
            if (endpoint == Endpoint.RESPONSES && instructions != null) {
                keyPieces = new ArrayList<>(pieces.size() + 1);
                keyPieces.add(instructions);
                keyPieces.addAll(pieces);
                tokens += SimText.countTokens(instructions);
                messages++;
            }
            if (endpoint != Endpoint.COMPLETIONS) {
                tokens += (long) SimText.TOKENS_PER_MESSAGE * messages + SimText.REPLY_PRIMING_TOKENS;
            }
            int limit = maxCompletionTokens > 0 ? maxCompletionTokens : maxTokens;
            return new GenerationRequest(endpoint, model, stream, includeUsage, limit, store, instructions,
                    (int) Math.min(Integer.MAX_VALUE, tokens), SimText.promptKey(keyPieces), ignoreEos);
        }

        private void streamOptions(JsonParser p, JsonToken value) throws IOException, BadRequestException {
            if (value == JsonToken.VALUE_NULL) {
                return;
            }
            if (value != JsonToken.START_OBJECT) {
                throw new BadRequestException("'stream_options' must be an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals("include_usage")) {
                    includeUsage = bool(p, v, "stream_options.include_usage");
                } else {
                    p.skipChildren();
                }
            }
        }

        private void chatMessages(JsonParser p, JsonToken value) throws IOException, BadRequestException {
            if (value != JsonToken.START_ARRAY) {
                throw new BadRequestException("'messages' must be an array");
            }
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (p.currentToken() != JsonToken.START_OBJECT) {
                    throw new BadRequestException("each of 'messages' must be an object");
                }
                messages++;
                messageObject(p, "messages[].content");
            }
            if (messages == 0) {
                throw new BadRequestException("'messages' must not be empty");
            }
            promptSeen = true;
        }

        /** Reads one message or input item object (current token START_OBJECT), keeping its content text. */
        private void messageObject(JsonParser p, String what) throws IOException, BadRequestException {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals("content")) {
                    content(p, v, what);
                } else {
                    p.skipChildren();
                }
            }
        }

        private void content(JsonParser p, JsonToken v, String what) throws IOException, BadRequestException {
            if (v == JsonToken.VALUE_STRING) {
                piece(p.getText());
            } else if (v == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (p.currentToken() == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String field = p.currentName();
                            JsonToken pv = p.nextToken();
                            if (field.equals("text") && pv == JsonToken.VALUE_STRING) {
                                piece(p.getText());
                            } else {
                                p.skipChildren();
                            }
                        }
                    } else if (p.currentToken() == JsonToken.VALUE_STRING) {
                        piece(p.getText());
                    } else {
                        throw new BadRequestException("each part of '" + what + "' must be an object");
                    }
                }
            } else if (v != JsonToken.VALUE_NULL) {
                throw new BadRequestException("'" + what + "' must be a string or an array of parts");
            }
        }

        private void prompt(JsonParser p, JsonToken value) throws IOException, BadRequestException {
            if (value == JsonToken.VALUE_STRING) {
                piece(p.getText());
            } else if (value == JsonToken.START_ARRAY) {
                int elements = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    elements++;
                    JsonToken t = p.currentToken();
                    if (t == JsonToken.VALUE_STRING) {
                        piece(p.getText());
                    } else if (t == JsonToken.VALUE_NUMBER_INT) {
                        tokenIds(p, true);
                    } else if (t == JsonToken.START_ARRAY) {
                        tokenIds(p, false);
                    } else {
                        throw new BadRequestException("'prompt' must be a string, an array of strings or of token ids");
                    }
                }
                if (elements == 0) {
                    throw new BadRequestException("'prompt' must not be empty");
                }
            } else {
                throw new BadRequestException("'prompt' must be a string or an array");
            }
            promptSeen = true;
        }

        /** Token ids: either one id (current token) of a flat id array, or a nested array of ids. */
        private void tokenIds(JsonParser p, boolean single) throws IOException, BadRequestException {
            if (single) {
                pieces.add(p.getText());
                pieceTokens++;
                return;
            }
            StringBuilder ids = new StringBuilder();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                    throw new BadRequestException("token id arrays in 'prompt' must hold integers");
                }
                if (ids.length() > 0) {
                    ids.append(' ');
                }
                ids.append(p.getText());
                pieceTokens++;
            }
            pieces.add(ids.toString());
        }

        private void input(JsonParser p, JsonToken value) throws IOException, BadRequestException {
            if (value == JsonToken.VALUE_STRING) {
                piece(p.getText());
                messages++;
            } else if (value == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (p.currentToken() != JsonToken.START_OBJECT) {
                        throw new BadRequestException("each item of 'input' must be an object");
                    }
                    messages++;
                    messageObject(p, "input[].content");
                }
            } else {
                throw new BadRequestException("'input' must be a string or an array of items");
            }
            promptSeen = true;
        }

        private void piece(String text) {
            pieces.add(text);
            pieceTokens += SimText.countTokens(text);
        }

        private static String string(JsonParser p, JsonToken v, String field) throws IOException, BadRequestException {
            if (v != JsonToken.VALUE_STRING) {
                throw new BadRequestException("'" + field + "' must be a string");
            }
            return p.getText();
        }

        private static boolean bool(JsonParser p, JsonToken v, String field) throws BadRequestException {
            return switch (v) {
                case VALUE_TRUE -> true;
                case VALUE_FALSE, VALUE_NULL -> false;
                default -> throw new BadRequestException("'" + field + "' must be a boolean");
            };
        }

        private static int positiveOrAbsent(JsonParser p, JsonToken v, String field) throws IOException, BadRequestException {
            if (v == JsonToken.VALUE_NULL) {
                return -1;
            }
            if (v != JsonToken.VALUE_NUMBER_INT) {
                throw new BadRequestException("'" + field + "' must be an integer");
            }
            long n = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? Long.MAX_VALUE : p.getLongValue();
            if (n < 1) {
                throw new BadRequestException("'" + field + "' must be at least 1, got " + n);
            }
            return (int) Math.min(Integer.MAX_VALUE, n);
        }
    }
}
