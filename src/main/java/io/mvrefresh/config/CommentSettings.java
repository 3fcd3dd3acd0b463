package io.mvrefresh.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings a view's comment carries: the text after {@code mvrefresh:} on a line of the
 * comment, as {@code key=value} pairs separated by spaces ({@code key="a value with spaces"} for
 * a cron expression). Parsing never fails: what cannot be read is a problem that names the key
 * and value, so the view keeps its last good settings and the others are not affected.
 *
 * @param present whether the comment has an {@code mvrefresh:} line at all
 * @param values the pairs read, by key
 * @param problems what could not be read
 */
public record CommentSettings(boolean present, Map<String, String> values, List<String> problems) {

    static final String MARKER = "mvrefresh:";

    public static final CommentSettings NONE = new CommentSettings(false, Map.of(), List.of());

    public CommentSettings {
        values = Map.copyOf(values);
        problems = List.copyOf(problems);
    }

    /** The settings in {@code comment} (null or empty: none). */
    public static CommentSettings parse(String comment) {
        if (comment == null || !comment.contains(MARKER)) {
            return NONE;
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        boolean present = false;
        for (String line : comment.split("\\R")) {
            int at = markerAt(line);
            if (at >= 0) {
                present = true;
                new Pairs(line.substring(at + MARKER.length()), values, problems).read();
            }
        }
        return present ? new CommentSettings(true, values, problems) : NONE;
    }

    /** Where the marker starts on {@code line}: at its start or after a space, never inside a word. */
    private static int markerAt(String line) {
        int from = 0;
        while (true) {
            int at = line.indexOf(MARKER, from);
            if (at <= 0 || Character.isWhitespace(line.charAt(at - 1))) {
                return at;
            }
            from = at + 1;
        }
    }

    /** Reads {@code key=value} pairs from one line. */
    private static final class Pairs {

        private final String text;
        private final Map<String, String> values;
        private final List<String> problems;
        private int at;

        Pairs(String text, Map<String, String> values, List<String> problems) {
            this.text = text;
            this.values = values;
            this.problems = problems;
        }

        void read() {
            while (skipSpaces()) {
                int start = at;
                while (at < text.length() && text.charAt(at) != '=' && !Character.isWhitespace(text.charAt(at))) {
                    at++;
                }
                String key = text.substring(start, at);
                if (at >= text.length() || text.charAt(at) != '=') {
                    problems.add(key + ": write key=value (e.g. interval=5m)");
                    continue;
                }
                at++;
                String value = text.startsWith("\"", at) ? quoted(key) : bare();
                if (value != null) {
                    accept(key, value);
                }
            }
        }

        private void accept(String key, String value) {
            Optional<ViewKey> known = ViewKey.named(key);
            if (known.isPresent() && known.get().propertiesOnly()) {
                problems.add(key + "=" + value + ": not read from a comment, it runs SQL with mvrefresh's privileges;"
                        + " set mvrefresh.views.\"<view>\"." + key + " in the properties instead");
            } else if (known.isEmpty()) {
                problems.add(key + "=" + value + ": not a per-view setting" + Configuration.ConfigKeys.closest(key,
                        ViewKey.names()).map(closest -> " (did you mean " + closest + "?)").orElse("")
                        + "; one of " + String.join(", ", ViewKey.names()));
            } else if (values.putIfAbsent(key, value) != null) {
                problems.add(key + "=" + value + ": set twice in the comment (first " + key + "=" + values.get(key) + ")");
            }
        }

        private String bare() {
            int start = at;
            while (at < text.length() && !Character.isWhitespace(text.charAt(at))) {
                at++;
            }
            return text.substring(start, at);
        }

        /** A double-quoted value; {@code \"} and {@code \\} stand for themselves. */
        private String quoted(String key) {
            StringBuilder value = new StringBuilder();
            int start = at;
            at++;
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return value.toString();
                }
                if (c == '\\' && at < text.length()) {
                    c = text.charAt(at++);
                }
                value.append(c);
            }
            problems.add(key + "=" + text.substring(start) + ": the quote is not closed");
            return null;
        }

        /** Skips spaces; answers whether anything is left. */
        private boolean skipSpaces() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
            return at < text.length();
        }
    }
}
