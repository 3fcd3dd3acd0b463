package io.mvrefresh.vocabulary;

import java.util.Optional;

/**
 * A materialized view's qualified name. The parts are PostgreSQL's own (case kept, unquoted);
 * {@link #quoted()} is the only way a name reaches SQL text.
 *
 * <p>Written as text (configuration keys, URLs, logs, metric labels, the {@code view} columns)
 * it is {@code schema.name}, with a part that contains a dot or a double quote written in
 * double quotes, inner quotes doubled, as in SQL: {@code "my.schema".mv_daily}. Unquoted parts
 * are taken literally (no case folding), so {@code public.mv_daily} means what it always has.
 * {@link #parse} and {@link #toString} are inverses, so every view has exactly one text form.
 */
public record ViewId(String schema, String name) implements Comparable<ViewId> {

    public ViewId {
        if (schema == null || schema.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a view needs a schema and a name, got " + schema + "." + name);
        }
    }

    /**
     * Parses {@code schema.name} as written in configuration and URLs; empty when the text is not
     * exactly two parts (see the type's documentation for quoting).
     */
    public static Optional<ViewId> parse(String qualified) {
        if (qualified == null) {
            return Optional.empty();
        }
        Parser parser = new Parser(qualified.trim());
        String schema = parser.part();
        if (schema == null || !parser.consume('.')) {
            return Optional.empty();
        }
        String name = parser.part();
        if (name == null || !parser.atEnd()) {
            return Optional.empty();
        }
        return Optional.of(new ViewId(schema, name));
    }

    /** How to name a view in configuration and URLs, for error messages. */
    public static String namingHint() {
        return "name it schema.name, and write a part that contains a dot in double quotes, e.g. \"my.schema\".mv_daily";
    }

    /** {@code "schema"."name"} with embedded quotes doubled, as PostgreSQL's quote_ident does. */
    public String quoted() {
        return quoteIdentifier(schema) + "." + quoteIdentifier(name);
    }

    /** One SQL identifier in double quotes, embedded quotes doubled: the only quoting function of mvrefresh. */
    public static String quoteIdentifier(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static String textPart(String part) {
        return part.indexOf('.') >= 0 || part.indexOf('"') >= 0 ? quoteIdentifier(part) : part;
    }

    @Override
    public int compareTo(ViewId other) {
        int bySchema = schema.compareTo(other.schema);
        return bySchema != 0 ? bySchema : name.compareTo(other.name);
    }

    /** The one text form: {@code schema.name}, parts quoted only where they need it. */
    @Override
    public String toString() {
        return textPart(schema) + "." + textPart(name);
    }

    /** Reads the text form one part at a time. */
    private static final class Parser {

        private final String text;
        private int at;

        Parser(String text) {
            this.text = text;
        }

        /** The next part, quoted or not; null when there is none or a quote is not closed. */
        String part() {
            if (at >= text.length()) {
                return null;
            }
            if (text.charAt(at) != '"') {
                int start = at;
                while (at < text.length() && text.charAt(at) != '.' && text.charAt(at) != '"') {
                    at++;
                }
                return at == start ? null : text.substring(start, at);
            }
            StringBuilder part = new StringBuilder();
            at++;
            while (at < text.length()) {
                char ch = text.charAt(at++);
                if (ch != '"') {
                    part.append(ch);
                } else if (at < text.length() && text.charAt(at) == '"') {
                    part.append('"');
                    at++;
                } else {
                    return part.isEmpty() ? null : part.toString();
                }
            }
            return null;
        }

        boolean consume(char expected) {
            if (at < text.length() && text.charAt(at) == expected) {
                at++;
                return true;
            }
            return false;
        }

        boolean atEnd() {
            return at == text.length();
        }
    }
}
