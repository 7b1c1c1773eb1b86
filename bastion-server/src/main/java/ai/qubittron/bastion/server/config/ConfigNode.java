package ai.qubittron.bastion.server.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One value of a configuration file as it was written, before it is checked: a mapping, a sequence, a
 * scalar or null, with its full key path ({@code workers[1].url}) and where it came from ({@code
 * bastion.yaml:12}, or {@code --set listener.port}), so that every error can name both.
 *
 * <p>Mutable only while {@link ConfigFiles} reads the file and applies the command line's overrides;
 * not thread-safe.
 */
public final class ConfigNode {

    /** What kind of value a node is. */
    public enum Kind { MAPPING, SEQUENCE, STRING, NUMBER, BOOLEAN, NULL }

    private final Kind kind;
    private final String path;
    private final String where;
    private final String text;
    private final Map<String, ConfigNode> entries;
    private final List<ConfigNode> items;

    private ConfigNode(Kind kind, String path, String where, String text) {
        this.kind = kind;
        this.path = path;
        this.where = where;
        this.text = text;
        this.entries = kind == Kind.MAPPING ? new LinkedHashMap<>() : Map.of();
        this.items = kind == Kind.SEQUENCE ? new ArrayList<>() : List.of();
    }

    static ConfigNode mapping(String path, String where) {
        return new ConfigNode(Kind.MAPPING, path, where, null);
    }

    static ConfigNode sequence(String path, String where) {
        return new ConfigNode(Kind.SEQUENCE, path, where, null);
    }

    static ConfigNode scalar(Kind kind, String path, String where, String text) {
        return new ConfigNode(kind, path, where, text);
    }

    /** The kind of value. */
    public Kind kind() {
        return kind;
    }

    /** The full key path ({@code workers[1].url}); empty for the whole file. */
    public String path() {
        return path;
    }

    /** Where it was written: {@code file:line}, or the command-line flag that set it. */
    public String where() {
        return where;
    }

    /** A scalar's text as written (after {@code ${VAR}} substitution); {@code null} for the other kinds. */
    public String text() {
        return text;
    }

    /** A mapping's entries in file order; empty for the other kinds. */
    public Map<String, ConfigNode> entries() {
        return Collections.unmodifiableMap(entries);
    }

    /** A sequence's items; empty for the other kinds. */
    public List<ConfigNode> items() {
        return Collections.unmodifiableList(items);
    }

    /** An error about this value, naming its place and key. */
    public ConfigException error(String reason) {
        return new ConfigException(where, path, reason);
    }

    void put(String key, ConfigNode value) {
        entries.put(key, value);
    }

    void add(ConfigNode item) {
        items.add(item);
    }

    void set(int index, ConfigNode item) {
        items.set(index, item);
    }

    /** The path of a child of this mapping. */
    String childPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The path of an item of this sequence. */
    String itemPath(int index) {
        return path + "[" + index + "]";
    }

    /** How an operator would call this kind of value, for errors. */
    String describe() {
        return switch (kind) {
            case MAPPING -> "a mapping";
            case SEQUENCE -> "a list";
            case STRING -> "the string '" + text + "'";
            case NUMBER, BOOLEAN -> text;
            case NULL -> "nothing (null)";
        };
    }
}
