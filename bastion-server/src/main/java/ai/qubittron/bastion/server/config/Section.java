package ai.qubittron.bastion.server.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one mapping of a configuration, key by key, with the type and range each key must have, and
 * fails on any key it was not asked for (a misspelt key is an error, never a silently ignored setting),
 * suggesting the nearest known one.
 */
final class Section {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|kB|KB|MB|GB)?");

    private final ConfigNode node;
    private final Set<String> known = new LinkedHashSet<>();

    /** A section over {@code node}, which must be a mapping (or null: an empty section). */
    Section(ConfigNode node) {
        if (node.kind() != ConfigNode.Kind.MAPPING && node.kind() != ConfigNode.Kind.NULL) {
            throw node.error("must be a mapping of keys to values, got " + node.describe());
        }
        this.node = node;
    }

    /** The mapping itself, for errors about the section as a whole. */
    ConfigNode node() {
        return node;
    }

    /** The value of {@code key}, or {@code null} when it is absent or written as null. */
    ConfigNode get(String key) {
        known.add(key);
        ConfigNode value = node.entries().get(key);
        return value == null || value.kind() == ConfigNode.Kind.NULL ? null : value;
    }

    boolean has(String key) {
        return get(key) != null;
    }

    String string(String key, String otherwise) {
        ConfigNode value = get(key);
        if (value == null) {
            return otherwise;
        }
        if (value.kind() != ConfigNode.Kind.STRING && value.kind() != ConfigNode.Kind.NUMBER) {
            throw value.error("must be a string, got " + value.describe());
        }
        return value.text();
    }

    /** A string that must be given. */
    String requiredString(String key) {
        String value = string(key, null);
        if (value == null || value.isBlank()) {
            throw new ConfigException(node.where(), node.childPath(key), "required");
        }
        return value;
    }

    boolean bool(String key, boolean otherwise) {
        ConfigNode value = get(key);
        if (value == null) {
            return otherwise;
        }
        if (value.kind() != ConfigNode.Kind.BOOLEAN) {
            throw value.error("must be true or false, got " + value.describe());
        }
        return Boolean.parseBoolean(value.text());
    }

    long integer(String key, long otherwise, long min, long max) {
        ConfigNode value = get(key);
        return value == null ? otherwise : integer(value, min, max);
    }

    static long integer(ConfigNode value, long min, long max) {
        long n;
        try {
            if (value.kind() != ConfigNode.Kind.NUMBER) {
                throw new NumberFormatException();
            }
            n = Long.parseLong(value.text());
        } catch (NumberFormatException e) {
            throw value.error("must be a whole number, got " + value.describe());
        }
        if (n < min || n > max) {
            throw value.error("must be " + range(min, max) + ", got " + n);
        }
        return n;
    }

    double decimal(String key, double otherwise, double min, double max) {
        ConfigNode value = get(key);
        if (value == null) {
            return otherwise;
        }
        double d;
        try {
            if (value.kind() != ConfigNode.Kind.NUMBER) {
                throw new NumberFormatException();
            }
            d = Double.parseDouble(value.text());
        } catch (NumberFormatException e) {
            throw value.error("must be a number, got " + value.describe());
        }
        if (!(d >= min && d <= max)) {
            throw value.error("must be between " + min + " and " + max + ", got " + value.text());
        }
        return d;
    }

    /** A duration written with its unit: {@code 250ms}, {@code 60s}, {@code 5m}, {@code 1h}, {@code 1d}; 0 needs none. */
    Duration duration(String key, Duration otherwise) {
        ConfigNode value = get(key);
        if (value == null) {
            return otherwise;
        }
        String text = value.text() == null ? "" : value.text().trim();
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(text);
        if (value.kind() == ConfigNode.Kind.STRING && m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        throw value.error("must be a duration with its unit (250ms, 60s, 5m, 1h), got " + value.describe());
    }

    /** A size in bytes: a number, or with a unit ({@code 512KiB}, {@code 32MiB}, {@code 1GB}). */
    long size(String key, long otherwise, long max) {
        ConfigNode value = get(key);
        if (value == null) {
            return otherwise;
        }
        Matcher m = SIZE.matcher(value.text() == null ? "" : value.text().trim());
        if ((value.kind() == ConfigNode.Kind.STRING || value.kind() == ConfigNode.Kind.NUMBER) && m.matches()) {
            long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
                case "KiB" -> 1L << 10;
                case "MiB" -> 1L << 20;
                case "GiB" -> 1L << 30;
                case "kB", "KB" -> 1_000L;
                case "MB" -> 1_000_000L;
                case "GB" -> 1_000_000_000L;
                default -> 1L;
            };
            long n;
            try {
                n = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
            } catch (ArithmeticException | NumberFormatException e) {
                n = Long.MAX_VALUE;
            }
            if (n < 1 || n > max) {
                throw value.error("must be " + range(1, max) + " bytes, got " + value.text());
            }
            return n;
        }
        throw value.error("must be a size in bytes (26214400, 512KiB, 32MiB), got " + value.describe());
    }

    /** A list of strings; an absent key is an empty list, a single string a list of one. */
    List<ConfigNode> strings(String key) {
        ConfigNode value = get(key);
        if (value == null) {
            return List.of();
        }
        List<ConfigNode> items = value.kind() == ConfigNode.Kind.SEQUENCE ? value.items() : List.of(value);
        for (ConfigNode item : items) {
            if (item.kind() != ConfigNode.Kind.STRING) {
                throw item.error("must be a string, got " + item.describe());
            }
        }
        return items;
    }

    /** The mapping under {@code key}; an empty one when absent. */
    Section section(String key) {
        ConfigNode value = get(key);
        return new Section(value != null ? value : ConfigNode.mapping(node.childPath(key), node.where()));
    }

    /** The list under {@code key}, which must be one; an empty list when absent. */
    List<ConfigNode> list(String key) {
        ConfigNode value = get(key);
        if (value == null) {
            return List.of();
        }
        if (value.kind() != ConfigNode.Kind.SEQUENCE) {
            throw value.error("must be a list, got " + value.describe());
        }
        return value.items();
    }

    /**
     * Ends the reading: any key written but never asked for is an error.
     *
     * @throws ConfigException naming the first unknown key and the nearest known one
     */
    void finish() {
        for (var entry : node.entries().entrySet()) {
            if (!known.contains(entry.getKey())) {
                String nearest = nearest(entry.getKey());
                throw new ConfigException(entry.getValue().where(), node.childPath(entry.getKey()), "unknown key"
                        + (nearest != null ? " (did you mean " + nearest + "?)" : "")
                        + "; the keys here are: " + String.join(", ", known));
            }
        }
    }

    /** The known key an unknown one was likely meant to be: a few letters off, or a part of it; else null. */
    private String nearest(String unknown) {
        String close = known.stream()
                .min(Comparator.comparingInt(k -> distance(k, unknown)))
                .filter(k -> distance(k, unknown) <= Math.max(2, unknown.length() / 3))
                .orElse(null);
        if (close != null || unknown.length() < 4) {
            return close;
        }
        return known.stream().filter(k -> k.startsWith(unknown) || k.contains(unknown)).findFirst().orElse(null);
    }

    /** The keys this section was asked for, in order. */
    List<String> known() {
        return new ArrayList<>(known);
    }

    private static String range(long min, long max) {
        return max == Long.MAX_VALUE ? "at least " + min : "between " + min + " and " + max;
    }

    /** Levenshtein distance, for "did you mean". */
    private static int distance(String a, String b) {
        a = a.toLowerCase(Locale.ROOT);
        b = b.toLowerCase(Locale.ROOT);
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
