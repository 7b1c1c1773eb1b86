package ai.qubittron.bastion.server.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a configuration file (YAML, or JSON when its name ends in {@code .json}) into a tree of
 * {@link ConfigNode}s, replacing {@code ${NAME}} and {@code ${NAME:-default}} in strings with the
 * environment's values, and applies the command line's {@code --set key.path=value} overrides on top.
 *
 * <p>Only the streaming parser is used, so that each value keeps its line. A key written twice in one
 * mapping is an error (YAML would keep the last one silently).
 */
public final class ConfigFiles {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}|\\$\\$");
    private static final Pattern OVERRIDE_KEY =
            Pattern.compile("[a-z_][a-z0-9_]*(\\[\\d+])*(\\.[a-z_][a-z0-9_]*(\\[\\d+])*)*");
    private static final Pattern KEY_PART = Pattern.compile("([a-z_][a-z0-9_]*)|\\[(\\d+)]");

    private final Function<String, String> environment;

    /** @param environment looks up environment variables ({@code System::getenv}) */
    public ConfigFiles(Function<String, String> environment) {
        this.environment = environment;
    }

    /** An empty configuration, for a command line without a file. */
    public static ConfigNode empty() {
        return ConfigNode.mapping("", "(no configuration file)");
    }

    /**
     * Reads a file.
     *
     * @throws ConfigException when it cannot be read, is not well-formed, repeats a key, or uses an unset
     *                         variable; the message says where
     */
    public ConfigNode read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "", "cannot read the configuration file: " + e);
        }
        boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        return parse(text, file.getFileName().toString(), json);
    }

    /** Parses a configuration's text; {@code name} is what errors call it. */
    public ConfigNode parse(String text, String name, boolean json) {
        JsonFactory factory = json ? new JsonFactory() : new YAMLFactory();
        try (JsonParser parser = factory.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return ConfigNode.mapping("", name);
            }
            ConfigNode root = node(parser, "", name);
            if (root.kind() != ConfigNode.Kind.MAPPING) {
                throw new ConfigException(name + ":1", "", "the configuration must be a mapping of keys to values, got "
                        + root.describe());
            }
            if (parser.nextToken() != null) {
                throw new ConfigException(where(name, parser), "", "more than one document; a configuration is one");
            }
            return root;
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? name : name + ":" + e.getLocation().getLineNr();
            throw new ConfigException(at, "", "not well-formed " + (json ? "JSON" : "YAML") + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(name, "", "cannot parse: " + e);
        }
    }

    private ConfigNode node(JsonParser parser, String path, String name) throws IOException {
        String where = where(name, parser);
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT -> {
                ConfigNode mapping = ConfigNode.mapping(path, where);
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    String keyWhere = where(name, parser);
                    parser.nextToken();
                    ConfigNode value = node(parser, mapping.childPath(key), name);
                    if (mapping.entries().containsKey(key)) {
                        throw new ConfigException(keyWhere, mapping.childPath(key), "written twice in one mapping");
                    }
                    mapping.put(key, value);
                }
                return mapping;
            }
            case START_ARRAY -> {
                ConfigNode sequence = ConfigNode.sequence(path, where);
                int i = 0;
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    sequence.add(node(parser, sequence.itemPath(i++), name));
                }
                return sequence;
            }
            case VALUE_STRING -> {
                return ConfigNode.scalar(ConfigNode.Kind.STRING, path, where, substitute(parser.getText(), path, where));
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return ConfigNode.scalar(ConfigNode.Kind.NUMBER, path, where, parser.getText());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return ConfigNode.scalar(ConfigNode.Kind.BOOLEAN, path, where, parser.getText());
            }
            case VALUE_NULL -> {
                return ConfigNode.scalar(ConfigNode.Kind.NULL, path, where, null);
            }
            default -> throw new ConfigException(where, path, "unexpected " + token);
        }
    }

    private static String where(String name, JsonParser parser) {
        return name + ":" + parser.currentTokenLocation().getLineNr();
    }

    /** Replaces {@code ${NAME}}, {@code ${NAME:-default}} and {@code $$} (a dollar sign). */
    private String substitute(String text, String path, String where) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group(1) == null) {
                replacement = "$";
            } else {
                String value = environment.apply(m.group(1));
                if (value == null || value.isEmpty()) {
                    if (m.group(2) == null) {
                        throw new ConfigException(where, path, "the environment variable " + m.group(1) + " is not set");
                    }
                    value = m.group(2);
                }
                replacement = value;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * Applies {@code key.path=value} to the tree: {@code listener.port=9090}, {@code workers[0].url=http://…}
     * ({@code [n]} one past the end appends), {@code models=[a, b]}. The value is read as YAML, so numbers,
     * booleans, lists and mappings ({@code {count: 2}}) keep their type. Mappings on the way are created.
     *
     * @throws ConfigException naming the flag, when the key or the value cannot be used
     */
    public void override(ConfigNode root, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("--set", "", "expected key.path=value, got '" + assignment + "'");
        }
        set(root, assignment.substring(0, eq).trim(), assignment.substring(eq + 1).trim(), true,
                "--set " + assignment.substring(0, eq).trim());
    }

    /**
     * Sets one key of the tree, as {@link #override} does.
     *
     * @param yaml  whether {@code value} is read as YAML ({@code 9090} a number, {@code [a, b]} a list) or
     *              taken as a string as it is (a flag's URL)
     * @param where what errors call the place ({@code --port})
     */
    public void set(ConfigNode root, String key, String value, boolean yaml, String where) {
        if (!OVERRIDE_KEY.matcher(key).matches()) {
            throw new ConfigException(where, key, "not a key path (lower-case names joined by dots, [n] for a list item)");
        }
        List<Object> parts = new ArrayList<>();
        Matcher m = KEY_PART.matcher(key);
        while (m.find()) {
            parts.add(m.group(1) != null ? m.group(1) : (Object) Integer.parseInt(m.group(2)));
        }
        ConfigNode node = root;
        for (int i = 0; i < parts.size(); i++) {
            Object part = parts.get(i);
            boolean last = i == parts.size() - 1;
            String path = part instanceof String name ? node.childPath(name) : node.itemPath((Integer) part);
            ConfigNode leaf = !last ? null : yaml ? value(value, path, where)
                    : ConfigNode.scalar(ConfigNode.Kind.STRING, path, where, value);
            if (part instanceof String name) {
                if (node.kind() != ConfigNode.Kind.MAPPING) {
                    throw node.error("is " + node.describe() + ", so " + where + " cannot set a key in it");
                }
                ConfigNode child = node.entries().get(name);
                if (last) {
                    node.put(name, leaf);
                } else {
                    if (child == null || child.kind() == ConfigNode.Kind.NULL) {
                        child = parts.get(i + 1) instanceof Integer ? ConfigNode.sequence(path, where)
                                : ConfigNode.mapping(path, where);
                        node.put(name, child);
                    }
                    node = child;
                }
            } else {
                int index = (Integer) part;
                if (node.kind() != ConfigNode.Kind.SEQUENCE) {
                    throw node.error("is " + node.describe() + ", not a list, so " + where + " cannot index it");
                }
                int size = node.items().size();
                if (index > size) {
                    throw new ConfigException(where, path, "the list has " + size + " items: [" + size
                            + "] appends one, further is out of range");
                }
                if (last) {
                    if (index == size) {
                        node.add(leaf);
                    } else {
                        node.set(index, leaf);
                    }
                } else {
                    if (index == size) {
                        node.add(parts.get(i + 1) instanceof Integer ? ConfigNode.sequence(path, where)
                                : ConfigNode.mapping(path, where));
                    }
                    node = node.items().get(index);
                }
            }
        }
    }

    /** An override's value, read as one YAML value and placed at {@code path}. */
    private ConfigNode value(String text, String path, String where) {
        if (text.isEmpty()) {
            return ConfigNode.scalar(ConfigNode.Kind.STRING, path, where, "");
        }
        ConfigNode wrapper = parse("value: " + text, where, false);
        return relocate(wrapper.entries().get("value"), path, where);
    }

    /** A copy of the node with its paths under {@code path} and its place {@code where}. */
    private static ConfigNode relocate(ConfigNode node, String path, String where) {
        switch (node.kind()) {
            case MAPPING -> {
                ConfigNode copy = ConfigNode.mapping(path, where);
                node.entries().forEach((k, v) -> copy.put(k, relocate(v, copy.childPath(k), where)));
                return copy;
            }
            case SEQUENCE -> {
                ConfigNode copy = ConfigNode.sequence(path, where);
                for (int i = 0; i < node.items().size(); i++) {
                    copy.add(relocate(node.items().get(i), copy.itemPath(i), where));
                }
                return copy;
            }
            default -> {
                return ConfigNode.scalar(node.kind(), path, where, node.text());
            }
        }
    }
}
